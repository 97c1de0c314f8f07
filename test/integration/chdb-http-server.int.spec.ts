import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { createClickHouse, type ClickHouse } from '../../libs/store/src';

/**
 * The ClickHouse HTTP interface served by chDB (started by the global setup), driven by @clickhouse/client over
 * HTTP exactly as a projector or gateway with RUNLOG_CLICKHOUSE_URL drives it.
 */
describe('chDB over the ClickHouse HTTP interface', () => {
  let ch: ClickHouse;
  const database = `chdb_http_${randomUUID().replaceAll('-', '')}`;

  beforeAll(async () => {
    const url = process.env.RUNLOG_CLICKHOUSE_URL;
    expect(url).toBeDefined();
    ch = createClickHouse({
      url,
      username: process.env.RUNLOG_CLICKHOUSE_USER,
      password: process.env.RUNLOG_CLICKHOUSE_PASSWORD,
      chdbPath: '',
      database,
    });
    await ch.client.command({ query: `CREATE DATABASE ${database}` });
    await ch.client.command({
      query: `CREATE TABLE ${database}.t (s String, n Int64) ENGINE = MergeTree ORDER BY n`,
    });
  });

  afterAll(async () => {
    await ch.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await ch.close();
  });

  it('answers ping', async () => {
    expect(await ch.client.ping()).toEqual({ success: true });
  });

  it('round-trips inserted rows and binds string parameters with every escaped character', async () => {
    const awkward = "tab\there, quote ' and \\ backslash,\nnewline";
    await ch.client.insert({
      table: `${database}.t`,
      values: [
        { s: awkward, n: 1 },
        { s: 'plain', n: 2 },
      ],
      format: 'JSONEachRow',
      clickhouse_settings: { max_insert_block_size: '1000000' },
    });
    const result = await ch.client.query({
      query: `SELECT s, n FROM ${database}.t WHERE s = {s:String} OR n IN {ns:Array(Int64)} ORDER BY n`,
      query_params: { s: awkward, ns: [2] },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { s: awkward, n: 1 },
      { s: 'plain', n: 2 },
    ]);
  });

  it('binds a null Nullable(String) parameter as NULL, and a text "\\N" or "N" as that text', async () => {
    const read = async (value: string | null) => {
      const result = await ch.client.query({
        query: `SELECT {v:Nullable(String)} IS NULL AS isNull, ifNull({v:Nullable(String)}, '') AS text`,
        query_params: { v: value },
        format: 'JSONEachRow',
      });
      return (await result.json<{ isNull: number; text: string }>())[0];
    };
    expect(await read(null)).toEqual({ isNull: 1, text: '' });
    expect(await read('N')).toEqual({ isNull: 0, text: 'N' });
    expect(await read('\\N')).toEqual({ isNull: 0, text: '\\N' });
  });

  it("reports the engine's error with its code and type, as a server does", async () => {
    await expect(
      ch.client.query({ query: 'SELECT no_such_column', format: 'JSONEachRow' }),
    ).rejects.toMatchObject({
      code: '47',
      type: 'UNKNOWN_IDENTIFIER',
    });
  });

  it('takes TabSeparated inserts as raw bytes, escapes and settings included, and names a bad row by its code', async () => {
    const awkward = "tab\there, quote ' and \\ backslash,\nnewline";
    const tsv = (text: string) => text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
    const body = (lines: string[]) =>
      Readable.from([Buffer.from(lines.join('\n') + '\n')], { objectMode: false });
    await ch.client.insert({
      table: `${database}.t`,
      values: body([`${tsv(awkward)}\t10`, 'plain\t11']),
      format: 'TabSeparated',
      columns: ['s', 'n'],
      clickhouse_settings: { max_insert_block_size: '1000000' },
    });
    const result = await ch.client.query({
      query: `SELECT s, n FROM ${database}.t WHERE n >= 10 ORDER BY n`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { s: awkward, n: 10 },
      { s: 'plain', n: 11 },
    ]);
    await expect(
      ch.client.insert({
        table: `${database}.t`,
        values: body(['fine\t12', 'broken\tnot-a-number']),
        format: 'TabSeparated',
        columns: ['s', 'n'],
      }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(6|27|72)$/) });
    const after = await ch.client.query({
      query: `SELECT count() AS landed FROM ${database}.t WHERE n = 12`,
      format: 'JSONEachRow',
    });
    expect(await after.json()).toEqual([{ landed: 0 }]);
  });
});
