/**
 * Rich media of a run, besides scalars: what `run.logImage`, `logHistogram` and `logTable` store. Each is an
 * artifact of the run (content-addressed on the server) under `media/<key>/<step>.<ext>`, then named as that key's
 * item at that step (`POST /runs/{id}/media`), which the dashboard lists and shows.
 */
export type MediaKind = 'image' | 'histogram' | 'table';

/** A histogram as stored: `counts[i]` values fell in [edges[i], edges[i + 1]) (the last bin is closed). */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/** A table as stored: rows of cells, one per column. */
export interface MediaTable {
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

export const DEFAULT_BINS = 30;
const MAX_BINS = 10_000;
/** The keys metrics take (the server checks the same pattern). */
const MEDIA_KEY = /^(?!.*(?:^|\/)\.{1,2}(?:\/|$))[A-Za-z0-9_\-.:]+(?:\/[A-Za-z0-9_\-.:]+)*$/;

export function checkMediaKey(key: string, step: number): void {
  if (key.length > 250 || !MEDIA_KEY.test(key))
    throw new TypeError(`media key ${JSON.stringify(key)} is not a metric-style key`);
  if (!Number.isSafeInteger(step)) throw new TypeError(`media step ${step} is not a whole number`);
}

/**
 * `bins` equal-width bins over the finite values' range (NaN and infinities are left out, as a chart would). Bins
 * too narrow for a double to tell their edges apart (a range near the smallest subnormal) are merged, so edges
 * always ascend; values are placed by their edges, never by a division that could underflow.
 */
export function histogramOf(values: readonly number[], bins = DEFAULT_BINS): Histogram {
  if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS)
    throw new RangeError(`bins must be 1 to ${MAX_BINS}, got ${bins}`);
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return { edges: [0, 1], counts: [0] };
  let low = Infinity;
  let high = -Infinity;
  for (const value of finite) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  const edges = low === high ? edgesAround(low) : equalWidthEdges(low, high, bins);
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const value of finite) counts[binOf(edges, value)] += 1;
  return { edges, counts };
}

function equalWidthEdges(low: number, high: number, bins: number): number[] {
  // high - low overflows for ranges wider than Number.MAX_VALUE: then divided before subtracting.
  const span = high - low;
  const width = Number.isFinite(span) ? span / bins : high / bins - low / bins;
  const edges = [low];
  for (let i = 1; i < bins; i++) {
    const edge = low + i * width;
    if (edge > edges[edges.length - 1] && edge < high) edges.push(edge);
  }
  edges.push(high);
  return edges;
}

/** One bin holding a single value: half a unit either side, or the nearest distinct finite doubles. */
function edgesAround(value: number): number[] {
  const margin = Math.max(0.5, Math.abs(value) * Number.EPSILON);
  const lower = value - margin;
  const upper = value + margin;
  return [
    Number.isFinite(lower) && lower < value ? lower : value,
    Number.isFinite(upper) && upper > value ? upper : value,
  ];
}

/** The last bin whose lower edge is at or below the value (the last bin is closed above). */
function binOf(edges: readonly number[], value: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid] <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Checks a given histogram: edges ascending, one count per bin. */
export function checkHistogram(histogram: Histogram): Histogram {
  const { edges, counts } = histogram;
  const ascending = edges.every((edge, i) => Number.isFinite(edge) && (i === 0 || edge > edges[i - 1]));
  if (!ascending || edges.length !== counts.length + 1 || counts.some((c) => !Number.isFinite(c) || c < 0)) {
    throw new TypeError('a histogram needs ascending finite edges and one non-negative count per bin');
  }
  return { edges: [...edges], counts: [...counts] };
}

export function checkTable(table: MediaTable): MediaTable {
  if (
    !Array.isArray(table.columns) ||
    table.rows.some((row) => !Array.isArray(row) || row.length !== table.columns.length)
  ) {
    throw new TypeError('every row of a table needs one cell per column');
  }
  return { columns: table.columns.map(String), rows: table.rows };
}

/** Where an item is stored among the run's artifacts. */
export function mediaPath(key: string, step: number, extension: string): string {
  return `media/${key}/${step}.${extension}`;
}

const IMAGE_EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
};

export function imageExtension(contentType: string): string {
  const extension = IMAGE_EXTENSIONS[contentType];
  if (!extension)
    throw new TypeError(`an image is one of ${Object.keys(IMAGE_EXTENSIONS).join(', ')}; got ${contentType}`);
  return extension;
}
