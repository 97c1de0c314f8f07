import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { request, subscribe } from '../api/client';
import type {
  MetricPointsSubscription,
  MetricSeriesQuery,
  MetricSeriesQueryVariables,
  SeriesXAxis,
} from '../api/generated';
import { METRIC_POINTS, METRIC_SERIES } from '../api/operations';
import type { XAxis } from '../state/view-state';
import { recordChart } from './chart-probe';
import {
  align,
  appendPoints,
  positiveOnly,
  keepLiveTails,
  seriesFromQuery,
  smooth,
  type ChartSeries,
} from './overlay-model';
import { colorOf } from './palette';
import { messageOf } from '../api/message-of';

export interface ChartRun {
  id: string;
  name: string;
  status: string;
  startTime: number | null;
}

export interface OverlayChartProps {
  /** Names the chart for the page's probe (window.__runlogCharts) and its caption. */
  name: string;
  runs: ChartRun[];
  keys: string[];
  x: XAxis;
  smoothing: number;
  log: boolean;
  from: number | null;
  to: number | null;
  onZoom: (range: { from: number | null; to: number | null }) => void;
  /** A followed run ended (its live subscription completed). */
  onRunEnded?: (runId: string) => void;
}

const X_AXIS: Record<XAxis, SeriesXAxis> = { step: 'STEP', wall: 'WALL_TIME', relative: 'RELATIVE_TIME' };
/** Buckets per series at most (a live series is halved past it). */
const MAX_BUCKETS = 2000;
/** Statuses whose run may still log (a queued run starts, a stale one comes back). */
const LIVE_STATUSES = new Set(['queued', 'running', 'stale']);

/**
 * Overlays the runs' series of the keys: each as its last value per bucket (the line) over its min/max envelope
 * (the band), from the metricSeries query. Dragging zooms by asking again for the range, so detail appears as
 * one zooms; a double click zooms out. Running runs are followed over the metricPoints subscription.
 */
export function OverlayChart(props: OverlayChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const series = useRef<ChartSeries[]>([]);
  const [state, setState] = useState<{ error: string | null; loading: boolean; version: number }>({
    error: null,
    loading: false,
    version: 0,
  });
  const runIds = props.runs.map((run) => run.id);
  // Bumped after a live subscription failed (a restart, a limit, a drop): the series are asked for again, so what
  // was missed is filled in, and following resumes. It must not stop quietly.
  const [attempt, setAttempt] = useState(0);
  const dataKey = JSON.stringify([runIds, props.keys, props.x, props.from, props.to, attempt]);

  // The series, queried again whenever what they are of changes.
  useEffect(() => {
    if (runIds.length === 0 || props.keys.length === 0) {
      series.current = [];
      setState((s) => ({ error: null, loading: false, version: s.version + 1 }));
      return;
    }
    const abort = new AbortController();
    const requestedAt = performance.now();
    setState((s) => ({ ...s, loading: true }));
    // A bucket per two pixels: its band and line are still exact at that width, and the answer is half the size
    // of one per pixel (for 100 runs of 1,000 points, 250 ms instead of 700 ms on this machine's embedded stack).
    const width = Math.min(MAX_BUCKETS, Math.max(200, Math.floor((box.current?.clientWidth ?? 800) / 2)));
    const range = props.from !== null || props.to !== null ? { from: props.from, to: props.to } : null;
    request<MetricSeriesQuery, MetricSeriesQueryVariables>(
      METRIC_SERIES,
      { runIds, keys: props.keys, maxPoints: width, xAxis: X_AXIS[props.x], range },
      abort.signal,
    ).then(
      (data) => {
        // Live points that arrived while the query ran are kept past the answer's last x (the projection trails
        // the log, so the answer may not hold them yet).
        series.current = keepLiveTails(data.metricSeries.series.map(seriesFromQuery), series.current);
        recordChart(props.name, { requestedAt, answeredAt: performance.now() });
        setState((s) => ({ error: null, loading: false, version: s.version + 1 }));
      },
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setState((s) => ({
          ...s,
          error: messageOf(error),
          loading: false,
        }));
      },
    );
    return () => abort.abort();
  }, [dataKey]);

  // Running runs stream their new points into the series they already have.
  const isLive = (run: ChartRun) => LIVE_STATUSES.has(run.status.toLowerCase());
  const liveKey = JSON.stringify([
    props.runs.filter(isLive).map((r) => r.id),
    props.keys,
    props.x,
    props.from,
    props.to,
    attempt,
  ]);
  useEffect(() => {
    const live = props.runs.filter(isLive);
    if (live.length === 0 || props.keys.length === 0) return;
    let scheduled = 0;
    let retry = 0;
    const redraw = () => {
      if (scheduled) return;
      scheduled = requestAnimationFrame(() => {
        scheduled = 0;
        setState((s) => ({ ...s, version: s.version + 1 }));
      });
    };
    const stops = live.map((run) =>
      subscribe<MetricPointsSubscription, Record<string, unknown>>(
        METRIC_POINTS,
        { runId: run.id, keys: props.keys, maxPoints: 1000, intervalMs: 1000 },
        {
          next: (data) => {
            for (const batch of data.metricPoints.series) {
              const target = liveSeries(series.current, run.id, batch.key);
              // A zoomed chart shows its range only; points past it wait for the zoom out.
              const points = batch.points
                .map((point) => ({ x: xOf(props.x, point, run.startTime), value: point.value }))
                .filter(
                  (point) =>
                    (props.from === null || point.x >= props.from) &&
                    (props.to === null || point.x <= props.to),
                );
              appendPoints(target, points, MAX_BUCKETS);
            }
            redraw();
          },
          done: (error) => {
            if (error === undefined) {
              props.onRunEnded?.(run.id);
              return;
            }
            setState((s) => ({
              ...s,
              error: `following ${run.name} live: ${describeFailure(error)}; retrying`,
            }));
            retry = window.setTimeout(() => setAttempt((n) => n + 1), Math.min(30_000, 1000 * 2 ** attempt));
          },
        },
      ),
    );
    return () => {
      for (const stop of stops) stop();
      if (scheduled) cancelAnimationFrame(scheduled);
      window.clearTimeout(retry);
    };
  }, [liveKey]);

  // Drawn again on new data or settings; the uPlot instance is made once per series layout.
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const drawn = series.current;
    const data = align(drawn, MAX_BUCKETS);
    for (let i = 0; i < drawn.length; i++) {
      const at = 1 + i * 3;
      data[at] = smooth(data[at] as (number | null)[], props.smoothing);
      if (props.log) for (let j = at; j < at + 3; j++) data[j] = positiveOnly(data[j] as (number | null)[]);
    }
    const layout = JSON.stringify([drawn.map((s) => s.id), props.x, props.log]);
    if (!chart.current || chart.current.root.dataset.layout !== layout) {
      chart.current?.destroy();
      chart.current = new uPlot(
        options(props, drawn, element.clientWidth),
        data as uPlot.AlignedData,
        element,
      );
      chart.current.root.dataset.layout = layout;
    } else {
      chart.current.setData(data as uPlot.AlignedData);
    }
    recordChart(props.name, {
      lines: drawn.length,
      points: drawn.reduce((sum, s) => sum + s.columns.x.length, 0),
      xMax: data[0].length > 0 ? data[0][data[0].length - 1] : null,
      dataMax: largest(data.slice(1) as (number | null)[][]),
    });
  }, [state.version, props.smoothing, props.log]);

  useEffect(() => () => chart.current?.destroy(), []);

  return (
    <figure class="chart" data-chart={props.name}>
      <figcaption>
        {props.keys.join(', ') || 'no metric chosen'}
        {state.loading ? <span class="muted"> loading…</span> : null}
        {props.from !== null || props.to !== null ? (
          <button class="link" onClick={() => props.onZoom({ from: null, to: null })}>
            zoom out
          </button>
        ) : null}
      </figcaption>
      {state.error ? <p class="error">{state.error}</p> : null}
      <div ref={box} class="chart-canvas" onDblClick={() => props.onZoom({ from: null, to: null })} />
      <Legend runs={props.runs} drawn={series.current} />
    </figure>
  );
}

function Legend({ runs, drawn }: { runs: ChartRun[]; drawn: ChartSeries[] }) {
  const names = new Map(runs.map((run) => [run.id, run.name]));
  return (
    <ul class="legend">
      {drawn.map((s, i) => (
        <li key={s.id}>
          <span class="swatch" style={{ background: colorOf(i) }} />
          {names.get(s.runId) ?? s.runId} · {s.key}
          {s.worker ? ` · ${s.worker}` : ''}
        </li>
      ))}
    </ul>
  );
}

function options(props: OverlayChartProps, drawn: ChartSeries[], width: number): uPlot.Options {
  const seriesOptions: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  drawn.forEach((s, i) => {
    const color = colorOf(i);
    const at = 1 + i * 3;
    seriesOptions.push(
      { label: s.id, stroke: color, width: 1.5, points: { show: false }, spanGaps: true },
      { label: `${s.id} min`, stroke: 'transparent', points: { show: false }, spanGaps: true },
      { label: `${s.id} max`, stroke: 'transparent', points: { show: false }, spanGaps: true },
    );
    bands.push({ series: [at + 2, at + 1], fill: `${color}33` });
  });
  return {
    width: Math.max(300, width),
    height: 280,
    ms: 1,
    series: seriesOptions,
    bands,
    legend: { show: false },
    scales: {
      x: { time: props.x === 'wall' },
      y: props.log ? { distr: 3 } : {},
    },
    axes: [{ label: props.x === 'step' ? 'step' : props.x === 'wall' ? 'time' : 'ms since start' }, {}],
    cursor: { drag: { x: true, y: false, setScale: false } },
    hooks: {
      // The y range as drawn: a spike is visible when it lies within it.
      draw: [
        (u) =>
          recordChart(props.name, {
            yMin: u.scales.y.min ?? null,
            yMax: u.scales.y.max ?? null,
            drawnAt: performance.now(),
          }),
      ],
      setSelect: [
        (u) => {
          if (u.select.width < 2) return;
          const from = u.posToVal(u.select.left, 'x');
          const to = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          props.onZoom({ from, to });
        },
      ],
    },
  };
}

function liveSeries(all: ChartSeries[], runId: string, key: string): ChartSeries {
  let found = all.find((s) => s.runId === runId && s.key === key && s.worker === null);
  if (!found) {
    found = {
      id: `${runId}/${key}`,
      runId,
      key,
      worker: null,
      columns: { x: [], min: [], max: [], last: [] },
    };
    all.push(found);
  }
  return found;
}

function xOf(axis: XAxis, point: { step: number; timestamp: number }, startTime: number | null): number {
  if (axis === 'step') return point.step;
  if (axis === 'wall') return point.timestamp;
  // The query's origin is the run's first point; its start is the nearest the page knows of it.
  return point.timestamp - (startTime ?? point.timestamp);
}

function largest(columns: (number | null)[][]): number | null {
  let found: number | null = null;
  for (const column of columns)
    for (const value of column) if (value !== null && (found === null || value > found)) found = value;
  return found;
}

/** A graphql-ws failure: a list of GraphQL errors, a close event, or an Error. */
function describeFailure(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join('; ');
  if (error && typeof error === 'object' && 'reason' in error)
    return String((error as { reason: unknown }).reason || 'closed');
  return messageOf(error);
}
