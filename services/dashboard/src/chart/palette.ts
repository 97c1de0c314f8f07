/** Distinct on white and for the common colour-vision deficiencies (Okabe–Ito, then Tableau's), repeated. */
const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#d55e00',
  '#cc79a7',
  '#56b4e9',
  '#f0c000',
  '#4e79a7',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#b07aa1',
  '#9c755f',
  '#bab0ab',
];

export function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}
