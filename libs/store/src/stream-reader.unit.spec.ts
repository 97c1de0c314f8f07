import type { ClickHouseClient } from '@clickhouse/client';
import { Readable } from 'node:stream';
import type { ClickHouse } from './clickhouse';
import { streamReaderFor } from './stream-reader';

/** On a server, a streamed read takes a socket of the stream client, never one of the client the reads share. */
function server(): { ch: ClickHouse; shared: jest.Mock; streaming: jest.Mock } {
  const shared = jest.fn(() => Promise.reject(new Error('a stream took a socket of the shared client')));
  const streaming = jest.fn(() =>
    Promise.resolve({ stream: Readable.from([Buffer.from('a\n'), Buffer.from('b\n')]) }),
  );
  const ch = {
    database: 'runlog',
    engine: 'server',
    client: { exec: shared } as unknown as ClickHouseClient,
    streamClient: { exec: streaming } as unknown as ClickHouseClient,
    close: () => Promise.resolve(),
  } as ClickHouse;
  return { ch, shared, streaming };
}

describe('streamed reads on a server', () => {
  it('go through the stream client, in the format asked', async () => {
    const { ch, shared, streaming } = server();
    const chunks: Uint8Array[] = [];
    for await (const chunk of streamReaderFor(ch).stream({
      name: 'page',
      sql: 'SELECT 1',
      format: 'CSVWithNames',
    }))
      chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('a\nb\n');
    expect(shared).not.toHaveBeenCalled();
    expect(streaming).toHaveBeenCalledWith(
      expect.objectContaining({ query: 'SELECT 1\nFORMAT CSVWithNames' }),
    );
  });
});
