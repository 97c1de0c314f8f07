/**
 * What each chart last drew, on `window.__runlogCharts`: the browser tests read it (series drawn, the y range a
 * spike must reach, when the draw happened), and so can a person in the console. It holds numbers, not data.
 */
export interface ChartProbe {
  lines: number;
  points: number;
  yMin: number | null;
  yMax: number | null;
  /** The largest value among the series' envelopes (what the y range must reach). */
  dataMax: number | null;
  /** The largest x drawn (a followed run's last step, say). */
  xMax: number | null;
  /** performance.now() of the series query and its answer, and of the last draw. */
  requestedAt: number;
  answeredAt: number;
  drawnAt: number;
  draws: number;
}

declare global {
  interface Window {
    __runlogCharts?: Record<string, ChartProbe>;
  }
}

export function recordChart(name: string, update: Partial<ChartProbe>): void {
  const charts = (window.__runlogCharts ??= {});
  const previous = charts[name] ?? {
    lines: 0,
    points: 0,
    yMin: null,
    yMax: null,
    xMax: null,
    dataMax: null,
    requestedAt: 0,
    answeredAt: 0,
    drawnAt: 0,
    draws: 0,
  };
  charts[name] = { ...previous, ...update, draws: previous.draws + (update.drawnAt === undefined ? 0 : 1) };
}
