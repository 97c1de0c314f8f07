import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchArtifact } from '../../api/artifacts';
import { request } from '../../api/client';
import type { RunMediaQuery, RunMediaQueryVariables } from '../../api/generated';
import { RUN_MEDIA } from '../../api/operations';
import { formatNumber } from '../runs/columns';
import { messageOf } from '../../api/message-of';

type MediaItem = NonNullable<RunMediaQuery['run']>['media'][number];
interface Histogram {
  edges: number[];
  counts: number[];
}
interface MediaTable {
  columns: string[];
  rows: (string | number | boolean | null)[][];
}

/** Histograms drawn over steps at most: an even sample of a long run's steps, always with the last. */
const MAX_HISTOGRAM_STEPS = 60;
const MAX_TABLE_ROWS = 500;

/** A run's images, histograms and tables, one block per key, each with a step slider. */
export function MediaSection({ runId }: { runId: string }) {
  const [items, setItems] = useState<MediaItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setItems(null);
    setError(null);
    const abort = new AbortController();
    request<RunMediaQuery, RunMediaQueryVariables>(RUN_MEDIA, { id: runId }, abort.signal).then(
      (data) => !abort.signal.aborted && setItems(data.run?.media ?? []),
      (e: unknown) => !abort.signal.aborted && setError(messageOf(e)),
    );
    return () => abort.abort();
  }, [runId]);
  if (error) return <p class="error">{error}</p>;
  if (!items || items.length === 0) return null;
  const byKey = new Map<string, MediaItem[]>();
  for (const item of items) byKey.set(item.key, [...(byKey.get(item.key) ?? []), item]);
  return (
    <section class="media">
      <h2>Media</h2>
      {[...byKey].map(([key, steps]) => (
        <MediaKey key={key} runId={runId} name={key} items={steps} />
      ))}
    </section>
  );
}

function MediaKey({ runId, name, items }: { runId: string; name: string; items: MediaItem[] }) {
  const [index, setIndex] = useState(items.length - 1);
  const item = items[Math.min(index, items.length - 1)];
  return (
    <div class="media-key" data-media-key={name}>
      <h3>
        {name} <span class="muted">({item.kind})</span>
      </h3>
      <label class="step-slider">
        step <output data-testid={`media-step-${name}`}>{item.step}</output>
        <input
          type="range"
          aria-label={`${name} step`}
          min={0}
          max={items.length - 1}
          value={index}
          onInput={(event) => setIndex(Number((event.target as HTMLInputElement).value))}
        />
      </label>
      {item.kind === 'image' ? <MediaImage runId={runId} item={item} /> : null}
      {item.kind === 'table' ? <MediaTableView runId={runId} item={item} /> : null}
      {item.kind === 'histogram' ? <Histograms runId={runId} items={items} selected={item} /> : null}
    </div>
  );
}

/**
 * The content of one item, fetched (with the credential) when the item changes: what shows is always this item's,
 * never the last one's while it loads, and bytes that are no longer the ones the item recorded are refused.
 */
function useArtifact<T>(
  runId: string,
  item: MediaItem,
  read: (response: Response) => Promise<T>,
  drop?: (value: T) => void,
) {
  const [state, setState] = useState<{ value: T | null; error: string | null }>({ value: null, error: null });
  useEffect(() => {
    setState({ value: null, error: null });
    const abort = new AbortController();
    loadItem(runId, item, abort.signal, read).then(
      (value) => {
        if (abort.signal.aborted) drop?.(value);
        else setState({ value, error: null });
      },
      (e: unknown) => !abort.signal.aborted && setState({ value: null, error: messageOf(e) }),
    );
    return () => abort.abort();
  }, [runId, item.path, item.digest]);
  return state;
}

/** An item's bytes, checked against the digest its event recorded (the path may have been uploaded to since). */
async function loadItem<T>(
  runId: string,
  item: MediaItem,
  signal: AbortSignal,
  read: (r: Response) => Promise<T>,
): Promise<T> {
  const response = await fetchArtifact(runId, item.path, signal);
  const digest = response.headers.get('x-runlog-artifact-digest');
  if (digest !== null && digest !== item.digest) {
    throw new Error(`${item.path} now holds other bytes than the ones logged at step ${item.step}`);
  }
  return read(response);
}

function MediaImage({ runId, item }: { runId: string; item: MediaItem }) {
  const { value: url, error } = useArtifact(
    runId,
    item,
    async (response) => URL.createObjectURL(await response.blob()),
    (late) => URL.revokeObjectURL(late),
  );
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  if (error) return <p class="error">{error}</p>;
  return url ? (
    <img class="media-image" src={url} alt={`${item.key} at step ${item.step}`} data-step={item.step} />
  ) : null;
}

function MediaTableView({ runId, item }: { runId: string; item: MediaItem }) {
  const { value: table, error } = useArtifact(runId, item, (r) => r.json() as Promise<MediaTable>);
  if (error) return <p class="error">{error}</p>;
  if (!table) return <p class="muted">loading…</p>;
  return (
    <table class="media-table" data-step={item.step}>
      <thead>
        <tr>
          {table.columns.map((column) => (
            <th key={column}>{column}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {table.rows.slice(0, MAX_TABLE_ROWS).map((row, i) => (
          <tr key={i}>
            {row.map((cell, j) => (
              <td key={j}>
                {cell === null ? '' : typeof cell === 'number' ? formatNumber(cell) : String(cell)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
      {table.rows.length > MAX_TABLE_ROWS ? (
        <caption class="muted">
          first {MAX_TABLE_ROWS} of {table.rows.length} rows
        </caption>
      ) : null}
    </table>
  );
}

/** Every step's histogram as a row of a heat map (darker: more values), the chosen step's as bars below it. */
function Histograms({ runId, items, selected }: { runId: string; items: MediaItem[]; selected: MediaItem }) {
  // Fetched once per item: moving the slider asks only for what is not loaded yet.
  const [loaded, setLoaded] = useState<ReadonlyMap<number, Histogram>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const sample = sampleSteps(items);
  useEffect(() => {
    const abort = new AbortController();
    const missing = [...sample, selected].filter((item) => !loaded.has(item.step));
    if (missing.length === 0) return;
    Promise.all(
      missing.map((item) =>
        loadItem(runId, item, abort.signal, (r) => r.json() as Promise<Histogram>).then(
          (h) => [item.step, h] as const,
        ),
      ),
    ).then(
      (pairs) => !abort.signal.aborted && setLoaded((before) => new Map([...before, ...pairs])),
      (e: unknown) => !abort.signal.aborted && setError(messageOf(e)),
    );
    return () => abort.abort();
  }, [runId, items.length, selected.step]);
  const heat = useRef<HTMLCanvasElement>(null);
  const bars = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const rows = sample.map((item) => loaded.get(item.step)).filter((h): h is Histogram => h !== undefined);
    if (heat.current && rows.length > 0)
      drawHeat(
        heat.current,
        rows,
        sample.findIndex((i) => i.step === selected.step),
      );
    const chosen = loaded.get(selected.step);
    if (bars.current && chosen) drawBars(bars.current, chosen);
  }, [loaded, selected.step]);
  return (
    <div class="histograms">
      {error ? <p class="error">{error}</p> : null}
      <canvas ref={heat} class="histogram-heat" data-steps={sample.length} />
      <canvas ref={bars} class="histogram-bars" data-step={selected.step} />
    </div>
  );
}

function sampleSteps(items: MediaItem[]): MediaItem[] {
  if (items.length <= MAX_HISTOGRAM_STEPS) return items;
  const every = (items.length - 1) / (MAX_HISTOGRAM_STEPS - 1);
  return Array.from({ length: MAX_HISTOGRAM_STEPS }, (_, i) => items[Math.round(i * every)]);
}

function sized(canvas: HTMLCanvasElement, height: number): CanvasRenderingContext2D | null {
  canvas.width = canvas.clientWidth * devicePixelRatio;
  canvas.height = height * devicePixelRatio;
  return canvas.getContext('2d');
}

function drawHeat(canvas: HTMLCanvasElement, rows: Histogram[], highlighted: number): void {
  const context = sized(canvas, 180);
  if (!context) return;
  const low = Math.min(...rows.map((h) => h.edges[0]));
  const high = Math.max(...rows.map((h) => h.edges[h.edges.length - 1]));
  const span = high - low || 1;
  const rowHeight = canvas.height / rows.length;
  rows.forEach((histogram, row) => {
    const most = Math.max(1, ...histogram.counts);
    histogram.counts.forEach((count, bin) => {
      const x0 = ((histogram.edges[bin] - low) / span) * canvas.width;
      const x1 = ((histogram.edges[bin + 1] - low) / span) * canvas.width;
      context.fillStyle = `rgba(0, 114, 178, ${count / most})`;
      context.fillRect(x0, row * rowHeight, Math.max(1, x1 - x0), Math.ceil(rowHeight));
    });
  });
  if (highlighted >= 0) {
    context.strokeStyle = '#d55e00';
    context.strokeRect(0, highlighted * rowHeight, canvas.width, rowHeight);
  }
}

function drawBars(canvas: HTMLCanvasElement, histogram: Histogram): void {
  const context = sized(canvas, 120);
  if (!context) return;
  const most = Math.max(1, ...histogram.counts);
  const width = canvas.width / histogram.counts.length;
  context.fillStyle = '#0072b2';
  histogram.counts.forEach((count, bin) => {
    const height = (count / most) * (canvas.height - 14 * devicePixelRatio);
    context.fillRect(bin * width, canvas.height - height, Math.max(1, width - 1), height);
  });
  context.fillStyle = '#222';
  context.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  context.fillText(formatNumber(histogram.edges[0]), 2, 11 * devicePixelRatio);
  const last = formatNumber(histogram.edges[histogram.edges.length - 1]);
  context.textAlign = 'right';
  context.fillText(last, canvas.width - 2, 11 * devicePixelRatio);
}
