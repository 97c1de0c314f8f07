import { readFileSync, writeFileSync } from 'node:fs';

const lastQuarter = new Map<string, number>();

/** One progress line, rewritten in place on a terminal; elsewhere (CI logs) one line per quarter done. */
export function progress(label: string, done: number, total: number, startedAt: number): void {
  const seconds = (Date.now() - startedAt) / 1000;
  const rate = seconds > 0 ? Math.round(done / seconds) : 0;
  const percent = Math.round((100 * done) / total);
  const line = `${label}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${percent}%) ${rate.toLocaleString('en')}/s`;
  if (process.stdout.isTTY) {
    process.stdout.write(`\r${line}${done >= total ? '\n' : ''}`);
    return;
  }
  const quarter = Math.floor(percent / 25);
  if (lastQuarter.get(label) !== quarter) {
    lastQuarter.set(label, quarter);
    console.log(line);
  }
}

export interface Bar {
  label: string;
  value: number;
}

/** A horizontal bar chart as SVG: no plotting dependency for a handful of bars. */
export function barChartSvg(title: string, unit: string, bars: Bar[]): string {
  const width = 820;
  const rowHeight = 34;
  const left = 300;
  const top = 48;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const height = top + bars.length * rowHeight + 24;
  const rows = bars
    .map((bar, i) => {
      const y = top + i * rowHeight;
      const w = Math.max(2, ((width - left - 150) * bar.value) / max);
      return [
        `<text x="${left - 10}" y="${y + 20}" text-anchor="end" font-size="14">${escapeXml(bar.label)}</text>`,
        `<rect x="${left}" y="${y + 6}" width="${w.toFixed(1)}" height="20" fill="#3b6fd8" rx="3"/>`,
        `<text x="${left + w + 8}" y="${y + 21}" font-size="13">${Math.round(bar.value).toLocaleString('en')} ${escapeXml(unit)}</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="28" font-size="17" font-weight="bold">${escapeXml(title)}</text>
${rows}
</svg>
`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function writeResult(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

export interface LineSeries {
  label: string;
  /** [x, y] pairs in x order. */
  points: [number, number][];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Shaded x ranges, such as a burst phase. */
  bands?: { from: number; to: number; label: string; colour?: string }[];
}

const SERIES_COLOURS = ['#3b6fd8', '#d8543b', '#2e9e5b', '#8a4fd8'];

/** A line chart as SVG with axes, ticks and a legend: a time series (projection lag) without a plotting library. */
export function lineChartSvg(chart: LineChart): string {
  const [width, height] = [820, 420];
  const plot = { left: 80, right: width - 24, top: 64, bottom: height - 56 };
  const all = chart.series.flatMap((series) => series.points);
  const maxX = Math.max(1, ...all.map(([x]) => x), ...(chart.bands ?? []).map((band) => band.to));
  const maxY = niceCeiling(Math.max(1, ...all.map(([, y]) => y)));
  const sx = (x: number) => plot.left + ((plot.right - plot.left) * x) / maxX;
  const sy = (y: number) => plot.bottom - ((plot.bottom - plot.top) * y) / maxY;
  const grid = [
    ...roundTicks(maxY).map((value) => {
      const y = sy(value).toFixed(1);
      return (
        `<line x1="${plot.left}" x2="${plot.right}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>` +
        `<text x="${plot.left - 8}" y="${Number(y) + 4}" text-anchor="end" font-size="12">${formatTick(value)}</text>`
      );
    }),
    ...roundTicks(maxX).map(
      (value) =>
        `<text x="${sx(value).toFixed(1)}" y="${plot.bottom + 18}" text-anchor="middle" font-size="12">${formatTick(value)}</text>`,
    ),
  ].join('\n');
  const bands = (chart.bands ?? [])
    .map(
      (band) =>
        `<rect x="${sx(band.from).toFixed(1)}" y="${plot.top}" width="${(sx(band.to) - sx(band.from)).toFixed(1)}" ` +
        `height="${plot.bottom - plot.top}" fill="${band.colour ?? '#f5d98b'}" opacity="0.45"/>` +
        `<text x="${((sx(band.from) + sx(band.to)) / 2).toFixed(1)}" y="${plot.top + 14}" text-anchor="middle" font-size="12">${escapeXml(band.label)}</text>`,
    )
    .join('\n');
  const lines = chart.series
    .map((series, i) => {
      const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
      const path = series.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      const legendX = plot.left + i * 200;
      return (
        `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>` +
        `<rect x="${legendX}" y="40" width="14" height="4" fill="${colour}"/>` +
        `<text x="${legendX + 20}" y="46" font-size="12">${escapeXml(series.label)}</text>`
      );
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="16" y="24" font-size="17" font-weight="bold">${escapeXml(chart.title)}</text>
${bands}
${grid}
<line x1="${plot.left}" x2="${plot.left}" y1="${plot.top}" y2="${plot.bottom}" stroke="#444"/>
<line x1="${plot.left}" x2="${plot.right}" y1="${plot.bottom}" y2="${plot.bottom}" stroke="#444"/>
${lines}
<text x="${(plot.left + plot.right) / 2}" y="${height - 16}" text-anchor="middle" font-size="13">${escapeXml(chart.xLabel)}</text>
<text x="18" y="${(plot.top + plot.bottom) / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${(plot.top + plot.bottom) / 2})">${escapeXml(chart.yLabel)}</text>
</svg>
`;
}

/** The axis top: 1, 2 or 5 times a power of ten, so tick labels stay round. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
}

/** 0 and multiples of a round step (1, 2 or 5 times a power of ten) up to max: four to ten ticks. */
function roundTicks(max: number): number[] {
  const power = 10 ** Math.floor(Math.log10(max / 4));
  const step = ([1, 2, 5, 10].find((candidate) => max / (candidate * power) <= 10) ?? 10) * power;
  return Array.from({ length: Math.floor(max / step + 1e-9) + 1 }, (_, i) => i * step);
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en') : value.toFixed(1);
}

export interface Quantiles {
  p50: number;
  p99: number;
  max: number;
}

/** p50, p99 and max of samples in ms, to 0.1 ms. */
export function quantiles(samples: number[]): Quantiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? NaN) };
}

/** Bounded sample keeping: every sample until `capacity`, then a uniform reservoir. */
export function sampleReservoir(capacity = 100_000) {
  const samples: number[] = [];
  let seen = 0;
  return {
    samples,
    add(value: number) {
      seen += 1;
      if (samples.length < capacity) samples.push(value);
      else {
        const slot = Math.floor(Math.random() * seen);
        if (slot < capacity) samples[slot] = value;
      }
    },
  };
}

/** Resident and peak resident (high-water mark) memory of a Linux process. */
export function processMemoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s on Linux). */
export function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
