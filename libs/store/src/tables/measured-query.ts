import { readTimeout, type ClickHouse } from '../clickhouse';

/** Rows of a read, and how many rows ClickHouse read to produce them. */
export interface MeasuredRows<T> {
  rows: T[];
  rowsRead: number;
}

/**
 * A read whose cost comes back with it: the JSON format carries the query's own statistics (`rows_read`), on a
 * ClickHouse server and on chDB alike. The other places are not usable here: chDB's result summary (in process
 * and through the chDB HTTP front's X-ClickHouse-Summary) counts result rows, not rows read, and chDB keeps no
 * system.query_log. `name` labels the operation in errors.
 */
export async function measuredRows<T>(
  ch: ClickHouse,
  name: string,
  query: string,
  params: Record<string, unknown>,
): Promise<MeasuredRows<T>> {
  try {
    const result = await ch.client.query({
      query,
      query_params: params,
      format: 'JSON',
      abort_signal: readTimeout(),
      // NaN and infinities come out as "nan", "inf", "-inf" instead of null, so they survive to the reader.
      clickhouse_settings: { output_format_json_quote_denormals: 1 },
    });
    const body = await result.json<T>();
    return { rows: body.data, rowsRead: Number(body.statistics?.rows_read ?? 0) };
  } catch (error) {
    if (error instanceof Error) error.message = `${name}: ${error.message}`;
    throw error;
  }
}
