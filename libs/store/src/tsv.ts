import { Readable } from 'node:stream';

/**
 * ClickHouse TabSeparated encoding: measured faster than JSONEachRow for the projector's inserts
 * (bench/projector-insert.bench.ts), and @clickhouse/client cannot encode the columnar JSON formats.
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

/** DateTime64(3) from epoch milliseconds, as `seconds.millis` which ClickHouse reads as a Unix time. */
export function tsvMillis(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(ms));
  return `${sign}${Math.trunc(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
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
  return String(value);
}

export function tsvNullableFloat(value: number | null): string {
  return value === null ? '\\N' : tsvFloat(value);
}

/** An insert body for @clickhouse/client: raw bytes, not object mode. */
export function tsvBody(lines: string): Readable {
  return Readable.from([Buffer.from(lines)], { objectMode: false });
}
