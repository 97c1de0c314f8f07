import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { csvRecords, utf8Pieces } from './csv-records';
import { collectHistory, exportMetricPoints, metricValue, type ReadAccess } from './history';
import { RunlogRequestError } from './request-error';

async function* piecesOf<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** As ClickHouse writes CSV: text quoted (quotes doubled), numbers bare. */
const csvField = (field: string | number) =>
  typeof field === 'number' ? String(field) : `"${field.replace(/"/g, '""')}"`;

/** Text cut at the given lengths. */
function cutText(text: string, cuts: number[]): string[] {
  const pieces: string[] = [];
  let at = 0;
  for (const length of cuts) {
    pieces.push(text.slice(at, (at += length)));
  }
  pieces.push(text.slice(at));
  return pieces;
}

describe('CSV records', () => {
  it('reads back every record, however the text is cut and whatever the fields hold', async () => {
    const field = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer());
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 40 }),
        async (records, cuts) => {
          const text = records.map((record) => record.map(csvField).join(',') + '\n').join('');
          const read = await all(csvRecords(piecesOf(cutText(text, cuts))));
          expect(read).toEqual(records.map((record) => record.map(String)));
        },
      ),
    );
  });

  it('reads a last record without its newline, and CRLF line ends', async () => {
    expect(await all(csvRecords(piecesOf(['a,"b"\r\n1,', '2'])))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('refuses text that ends inside quotes', async () => {
    await expect(all(csvRecords(piecesOf(['"open'])))).rejects.toThrow(/quoted/);
  });

  it('decodes UTF-8 split anywhere in a character', async () => {
    const bytes = Buffer.from('"é€😀"\n');
    const split = [bytes.subarray(0, 2), bytes.subarray(2, 5), bytes.subarray(5)];
    expect((await all(utf8Pieces(piecesOf(split)))).join('')).toBe('"é€😀"\n');
  });
});

describe('metric values as ClickHouse writes them', () => {
  it.each([
    ['nan', NaN],
    ['-nan', NaN],
    ['inf', Infinity],
    ['-inf', -Infinity],
    ['0.1', 0.1],
    ['-0', -0],
    ['1e-300', 1e-300],
    ['1.7976931348623157e308', Number.MAX_VALUE],
  ])('%s is %p', (text, value) => {
    expect(metricValue(text)).toBe(value);
  });
});

/** A server of scripted answers, keyed by the request's cursor ('' for the first page); it records the bodies. */
function scriptedAccess(pages: Record<string, { status?: number; body: string; next?: string }[]>) {
  const asked: Record<string, unknown>[] = [];
  const access: ReadAccess = {
    baseUrl: 'http://runlog.test',
    headers: { 'x-runlog-workspace': 'w' },
    fetch: async (input, init) => {
      const url = new URL(String(input));
      if (url.pathname !== '/api/v1/metrics/export' || url.search !== '' || init?.method !== 'POST')
        throw new Error(`not the export's POST: ${init?.method} ${url.href}`);
      expect(new Headers(init.headers).get('content-type')).toBe('application/json');
      const body = JSON.parse(String(init.body)) as Record<string, unknown>;
      asked.push(body);
      const answers = pages[typeof body.cursor === 'string' ? body.cursor : ''];
      const answer = answers.length > 1 ? answers.shift()! : answers[0];
      const headers = answer.next ? { 'runlog-next-cursor': answer.next } : undefined;
      return new Response(answer.body, { status: answer.status ?? 200, headers });
    },
  };
  return { access, asked };
}

const HEADER = '"run_id","key","step","value","timestamp"\n';
const WORKER_HEADER = '"run_id","key","step","value","timestamp","worker"\n';

describe('reading an export page by page', () => {
  it('follows each page’s cursor to the end, keeping NaN, infinities, negative steps and times', async () => {
    const { access, asked } = scriptedAccess({
      '': [{ body: HEADER + '"r","loss",-2,nan,"2024-01-01T00:00:00.001Z"\n', next: 'c1' }],
      c1: [
        {
          body:
            HEADER +
            '"r","loss",-1,-inf,"1969-12-31T23:59:59.999Z"\n"r","loss",0,0.5,"2024-01-01T00:00:00.000Z"\n',
          next: 'c2',
        },
      ],
      c2: [{ body: HEADER }],
    });
    const points = await all(exportMetricPoints(access, { runIds: ['r'], keys: ['loss'], pageSize: 2 }));
    expect(points.map((point) => [point.step, point.value])).toEqual([
      [-2, NaN],
      [-1, -Infinity],
      [0, 0.5],
    ]);
    expect(points[1].timestamp).toBe(-1);
    expect(asked).toEqual([
      { runIds: ['r'], keys: ['loss'], limit: 2 },
      { runIds: ['r'], keys: ['loss'], limit: 2, cursor: 'c1' },
      { runIds: ['r'], keys: ['loss'], limit: 2, cursor: 'c2' },
    ]);
    expect(points.map((point) => point.worker)).toEqual(['', '', '']);
  });

  it('asks for 1,000 runs of UUID length in one body, and reads each point’s worker', async () => {
    const runIds = Array.from({ length: 1_000 }, () => randomUUID());
    const { access, asked } = scriptedAccess({
      '': [
        {
          body:
            WORKER_HEADER +
            `"${runIds[0]}","loss",3,0.5,"2024-01-01T00:00:00.000Z",""\n` +
            `"${runIds[0]}","loss",3,0.25,"2024-01-01T00:00:00.000Z","rank-1"\n`,
        },
      ],
    });
    const points = await all(exportMetricPoints(access, { runIds, fromStep: 0, toStep: 9 }));
    expect(asked).toEqual([{ runIds, fromStep: 0, toStep: 9 }]);
    expect(points.map((point) => [point.value, point.worker])).toEqual([
      [0.5, ''],
      [0.25, 'rank-1'],
    ]);
  });

  it('retries a page the server could not answer, and gives up on one it refuses', async () => {
    const flaky = scriptedAccess({ '': [{ status: 503, body: 'busy' }, { body: HEADER }] });
    expect(await all(exportMetricPoints(flaky.access, { runIds: ['r'] }))).toEqual([]);
    expect(flaky.asked).toHaveLength(2);
    const refused = scriptedAccess({ '': [{ status: 400, body: '{"field":"runId"}' }] });
    await expect(all(exportMetricPoints(refused.access, { runIds: ['r'] }))).rejects.toBeInstanceOf(
      RunlogRequestError,
    );
  });

  it('gathers a history into columns per key', async () => {
    const columns = await collectHistory(
      piecesOf([
        { key: 'loss', step: 1, value: 2, timestamp: 3, worker: '' },
        { key: '__proto__', step: 4, value: NaN, timestamp: 6, worker: '' },
        { key: 'loss', step: 7, value: 8, timestamp: 9, worker: 'rank-1' },
      ]),
    );
    expect([...columns.keys()]).toEqual(['loss', '__proto__']);
    expect(columns.get('loss')).toEqual({
      steps: [1, 7],
      values: [2, 8],
      timestamps: [3, 9],
      workers: ['', 'rank-1'],
    });
  });
});
