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

/** `bins` equal-width bins over the finite values' range (NaN and infinities are left out, as a chart would). */
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
  if (low === high) return { edges: [low - 0.5, high + 0.5], counts: [finite.length] };
  const width = (high - low) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + i * width));
  const counts = new Array<number>(bins).fill(0);
  for (const value of finite) counts[Math.min(bins - 1, Math.floor((value - low) / width))] += 1;
  return { edges, counts };
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
