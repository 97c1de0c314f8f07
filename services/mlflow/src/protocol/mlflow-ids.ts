import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** A fresh event id for each native command the dialect sends (MLflow's requests carry none). */
export const newEventId = (): string => randomUUID();

/** MLflow's run ids: 32 lower-case hex digits. */
export const newRunId = (): string => randomBytes(16).toString('hex');

/** MLflow's experiment ids are decimal; 18 random digits, as its file store makes them. */
export const newExperimentId = (): string =>
  String(randomInt(1, 10)) +
  String(randomInt(0, 1e8)).padStart(8, '0') +
  String(randomInt(0, 1e9)).padStart(9, '0');

const ADJECTIVES = [
  'amazing',
  'bold',
  'calm',
  'clever',
  'crisp',
  'eager',
  'gentle',
  'keen',
  'lively',
  'merry',
  'nimble',
  'quiet',
  'rare',
  'serene',
  'sincere',
  'swift',
  'vivid',
  'wise',
];
const NOUNS = [
  'ant',
  'bass',
  'crane',
  'deer',
  'eel',
  'finch',
  'goat',
  'hawk',
  'ibis',
  'koi',
  'lark',
  'mole',
  'newt',
  'owl',
  'panda',
  'quail',
  'robin',
  'seal',
  'toad',
  'wren',
];

/** MLflow's generated run names: adjective-noun-NNN. */
export function newRunName(): string {
  const pick = (words: string[]) => words[randomInt(0, words.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(0, 1000)}`;
}
