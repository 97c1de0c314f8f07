import type { ClickHouse, RawInsert } from './clickhouse';
import { readerFor, writerFor } from './ports';

/** A ClickHouse handle whose client fails every call, and whose raw insert records what it was given. */
function failingClickHouse(rawInserts?: RawInsert[]): ClickHouse {
  const fail = async () => {
    throw new Error('Code: 60. DB::Exception: Unknown table');
  };
  return {
    client: { query: fail, insert: fail } as unknown as ClickHouse['client'],
    database: 'runlog',
    engine: rawInserts ? 'chdb' : 'server',
    close: async () => undefined,
    rawInsert: rawInserts
      ? async (insert) => {
          rawInserts.push(insert);
          if (insert.body === 'bad\n') await fail();
        }
      : undefined,
  };
}

describe('ports', () => {
  it('prefixes a failed read with its name, measured or not', async () => {
    const reader = readerFor(failingClickHouse());
    await expect(reader.query({ name: 'getRun', sql: 'SELECT 1' })).rejects.toThrow(
      /^getRun: Code: 60\. DB::Exception/,
    );
    await expect(reader.queryMeasured({ name: 'getRawPoints', sql: 'SELECT 1' })).rejects.toThrow(
      /^getRawPoints: Code: 60/,
    );
  });

  it('prefixes a failed insert with its name, whichever path inserted', async () => {
    const insert = { name: 'insertRuns', table: 'runs', columns: ['run_id'], body: 'bad\n' };
    await expect(writerFor(failingClickHouse()).insert(insert)).rejects.toThrow(/^insertRuns: Code: 60/);
    await expect(writerFor(failingClickHouse([])).insert(insert)).rejects.toThrow(/^insertRuns: Code: 60/);
  });

  it('hands chDB the body as one part, qualified by the database, and skips an empty body', async () => {
    const rawInserts: RawInsert[] = [];
    const writer = writerFor(failingClickHouse(rawInserts));
    await writer.insert({ name: 'insertTags', table: 'tags', columns: ['run_id'], body: '' });
    await writer.insert({ name: 'insertTags', table: 'tags', columns: ['run_id'], body: 'r\n' });
    expect(rawInserts).toEqual([
      {
        table: 'runlog.tags',
        columns: ['run_id'],
        format: 'TabSeparated',
        body: 'r\n',
        settings: expect.objectContaining({ min_insert_block_size_rows: '100000000' }),
      },
    ]);
  });
});
