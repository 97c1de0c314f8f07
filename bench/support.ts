import { writeFileSync } from 'node:fs';

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
