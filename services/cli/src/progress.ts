/** Where progress goes: stderr, so a command's stdout stays its answer (`--json | jq`). */
export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  label: string;
  unit: string;
  now?: () => number;
  /** Least time between two lines on a sink that is not a terminal (a CI log). */
  intervalMs?: number;
}

const NUMBER = new Intl.NumberFormat('en-US');

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * A progress line for long jobs: done of total, percent, rate and ETA. On a terminal one line is rewritten in place
 * (throttled to 10 a second); elsewhere a line is printed at most every `intervalMs`, so a CI log stays readable.
 */
export class ProgressLine {
  private readonly started: number;
  private lastPrinted = -Infinity;
  private printedInPlace = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly options: ProgressOptions,
  ) {
    this.started = this.now();
  }

  update(done: number, total: number, detail = ''): void {
    const now = this.now();
    const every = this.sink.isTTY ? 100 : (this.options.intervalMs ?? 2_000);
    if (now - this.lastPrinted < every) return;
    this.lastPrinted = now;
    this.print(this.describe(done, total, now, detail));
  }

  finish(done: number, total: number, detail = ''): void {
    this.print(this.describe(done, total, this.now(), detail));
    if (this.printedInPlace) this.sink.write('\n');
    this.printedInPlace = false;
  }

  describe(done: number, total: number, now: number, detail: string): string {
    const elapsed = now - this.started;
    const rate = elapsed > 0 ? (done * 1000) / elapsed : 0;
    const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100;
    const eta = rate > 0 && total > done ? formatDuration(((total - done) * 1000) / rate) : '0 s';
    const { label, unit } = this.options;
    return (
      `${label}: ${NUMBER.format(done)} / ${NUMBER.format(total)} ${unit} (${percent}%), ` +
      `${NUMBER.format(Math.round(rate))} ${unit}/s, ETA ${eta}${detail ? `, ${detail}` : ''}`
    );
  }

  private print(line: string): void {
    if (this.sink.isTTY) {
      this.sink.write(`\r\x1b[2K${line}`);
      this.printedInPlace = true;
    } else {
      this.sink.write(`${line}\n`);
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
