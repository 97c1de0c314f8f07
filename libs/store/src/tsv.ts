import { Readable } from 'node:stream';
import { UnstorableValueError, unstorableMillisReason } from '../../events/src/storable';

/**
 * ClickHouse TabSeparated encoding: measured faster than JSONEachRow for the projector's inserts
 * (bench/hot-paths.bench.ts), and @clickhouse/client cannot encode the columnar JSON formats.
 */
export function tsvString(value: string): string {
  // Only these four characters need escaping in TabSeparated; most values have none, so test before replacing.
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

export function tsvNullableString(value: string | null): string {
  return value === null ? '\\N' : tsvString(value);
}

const DAY_MS = 86_400_000;
let cachedDay = Number.NaN;
let cachedDayText = '';
let cachedSecond = Number.NaN;
let cachedSecondText = '';

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** `YYYY-MM-DD hh:mm:ss` of a second since the epoch; the day's text is made once per day seen. */
function secondText(second: number): string {
  const day = Math.floor(second / 86_400);
  if (day !== cachedDay) {
    cachedDayText = new Date(day * DAY_MS).toISOString().slice(0, 10);
    cachedDay = day;
  }
  const ofDay = second - day * 86_400;
  const minutes = (ofDay - (ofDay % 60)) / 60;
  return `${cachedDayText} ${pad2((minutes - (minutes % 60)) / 60)}:${pad2(minutes % 60)}:${pad2(ofDay % 60)}`;
}

/**
 * DateTime64(3) from epoch milliseconds, as `YYYY-MM-DD hh:mm:ss.mmm` (UTC, the columns' zone). Not `seconds.millis`:
 * with `date_time_input_format=best_effort` (chDB's default, and set for servers) ClickHouse reads a number only
 * as a Unix time when it has 9 or 10 integer digits; `0.000` is refused as a malformed date ("unexpected number of
 * decimal digits after day of month"), `253402300799.999` too, and `1.5` silently became the 1st of May. Outside
 * MIN/MAX_STORABLE_MILLIS (libs/events/src/storable.ts) a server clamps silently: throws UnstorableValueError.
 */
export function tsvMillis(ms: number, field = 'timestamp'): string {
  const reason = unstorableMillisReason(ms);
  if (reason !== null) throw new UnstorableValueError(field, reason);
  // Points of a batch mostly share their second: its text is made once.
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecondText = secondText(second);
    cachedSecond = second;
  }
  return `${cachedSecondText}.${pad3(ms - second * 1000)}`;
}

export function tsvNullableMillis(ms: number | null): string {
  return ms === null ? '\\N' : tsvMillis(ms);
}

/** A metric value as stored: a number, or "NaN" / "Infinity" / "-Infinity" (JSON has no such numbers). */
export function tsvFloat(value: number | string): string {
  if (typeof value === 'string') return value === 'NaN' ? 'nan' : value === '-Infinity' ? '-inf' : 'inf';
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  // String(-0) is "0": the sign of zero would be lost on the way.
  return value === 0 && 1 / value < 0 ? '-0' : String(value);
}

export function tsvNullableFloat(value: number | null): string {
  return value === null ? '\\N' : tsvFloat(value);
}

/** An insert body for @clickhouse/client: raw bytes, not object mode. */
export function tsvBody(lines: string): Readable {
  return Readable.from([Buffer.from(lines)], { objectMode: false });
}
