import { randomUUID } from 'node:crypto';
import { MAX_STORABLE_MILLIS } from '../../libs/events/src/storable';
import { collectHistory, RunlogClient, type HistoryPoint } from '../../libs/sdk/src/runlog';
import {
  comparePositions,
  decodeExportArrow,
  decodeExportCsv,
  decodeExportParquet,
  exportPage,
  postPage,
  sortedPoints,
  type ExportedRow,
} from '../support/export-decoding';
import { createExperimentAndRun, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * The export of raw points over HTTP (`GET /api/v1/metrics/export`), on the built server and real engines: every
 * format decodes to exactly the points logged, and paging by cursor neither skips nor repeats one.
 */
type Logged = number | 'NaN' | 'Infinity' | '-Infinity';
interface Series {
  key: string;
  steps: number[];
  values: Logged[];
  timestamps: number[];
}

const CSV = 'text/csv';
const ARROW = 'application/vnd.apache.arrow.stream';
const PARQUET = 'application/vnd.apache.parquet';
const asNumber = (value: Logged) =>
  value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : value === '-Infinity' ? -Infinity : value;

/** Edges of every column; five points share one position (step 3 of acc at one time), two steps repeat in time. */
const EDGE_SERIES: Series[] = [
  {
    key: 'loss',
    steps: [-Number.MAX_SAFE_INTEGER, -5, -1, 0, 1, 2, Number.MAX_SAFE_INTEGER],
    values: ['NaN', 'Infinity', '-Infinity', 0.1, Number.MAX_VALUE, Number.MIN_VALUE, -1.5e-300],
    timestamps: [0, 1, 1_700_000_000_123, MAX_STORABLE_MILLIS, 5, 6, 7],
  },
  {
    key: 'acc',
    steps: [3, 3, 3, 3, 3, 4, 4, -2],
    values: [0.5, 0.25, 'NaN', 0.5, 1, 2, 3, 4],
    timestamps: [1000, 1000, 1000, 1000, 1000, 2000, 1999, 0],
  },
  { key: 'eval/top-1.acc:v2', steps: [0], values: [0.75], timestamps: [42] },
];

/**
 * Logged by two workers of a distributed job into the edge run: at one (run, key, step, time) as the five points
 * of the default worker there, so pages cut between workers of one position.
 */
const WORKERS = ['rank-1', 'rank-0'];
const WORKER_SERIES: Series[] = [
  { key: 'acc', steps: [3, 3, 4], values: [0.125, 'Infinity', 6], timestamps: [1000, 1000, 2000] },
  { key: 'loss', steps: [0], values: [-2], timestamps: [MAX_STORABLE_MILLIS] },
];

const LONG_STEPS = 2_500;
const LONG_SERIES: Series[] = ['loss', 'lr'].map((key, index) => ({
  key,
  steps: Array.from({ length: LONG_STEPS }, (_, step) => step - 1_000),
  values: Array.from({ length: LONG_STEPS }, (_, step) => (step % 97 === 0 ? 'NaN' : Math.sin(step + index))),
  timestamps: Array.from({ length: LONG_STEPS }, (_, step) => 1_700_000_000_000 + Math.floor(step / 3)),
}));

function rowsOf(runId: string, series: Series[], worker = ''): ExportedRow[] {
  return series.flatMap(({ key, steps, values, timestamps }) =>
    steps.map((step, at) => ({
      runId,
      key,
      step,
      value: asNumber(values[at]),
      timestamp: timestamps[at],
      worker,
    })),
  );
}

function expectInExportOrder(rows: ExportedRow[]): void {
  for (let at = 1; at < rows.length; at += 1)
    expect(comparePositions(rows[at - 1], rows[at])).toBeLessThanOrEqual(0);
}

describe('the metric export over HTTP', () => {
  const runlog = useRunlog();
  let edgeRun = '';
  let longRun = '';
  let expected: ExportedRow[] = [];
  const runsQuery = () => `runId=${edgeRun}&runId=${longRun}`;

  beforeAll(async () => {
    const { experimentId, runId } = await createExperimentAndRun(runlog.base, 'export');
    edgeRun = runId;
    const runs: string[] = [];
    for (const name of ['long', 'unasked']) {
      const created = await post<{ runId: string }>(runlog.base, '/api/v1/runs', { experimentId, name });
      runs.push(created.body.runId);
    }
    [longRun] = runs;
    const log = async (run: string, metrics: Series[], worker?: string) => {
      const answer = await post(runlog.base, `/api/v1/runs/${run}/metrics`, { metrics, worker });
      if (answer.status !== 200) throw new Error(`log metrics: ${JSON.stringify(answer.body)}`);
    };
    await log(edgeRun, EDGE_SERIES);
    for (const worker of WORKERS) await log(edgeRun, WORKER_SERIES, worker);
    await log(longRun, LONG_SERIES);
    await log(runs[1], EDGE_SERIES);
    await waitForProjection(runlog.base);
    expected = sortedPoints([
      ...rowsOf(edgeRun, EDGE_SERIES),
      ...WORKERS.flatMap((worker) => rowsOf(edgeRun, WORKER_SERIES, worker)),
      ...rowsOf(longRun, LONG_SERIES),
    ]);
  });

  it.each([
    ['CSV', CSV, 'text/csv; charset=utf-8; header=present'],
    ['Arrow IPC', ARROW, ARROW],
    ['Parquet', PARQUET, PARQUET],
    ['Parquet (x-parquet)', 'application/x-parquet', PARQUET],
  ])('answers %s that decodes to exactly the points logged, in order', async (_, accept, contentType) => {
    const page = await exportPage(runlog.base, runsQuery(), accept);
    expect(page.status).toBe(200);
    expect(page.contentType).toBe(contentType);
    expect(page.next).toBeNull();
    const decoded =
      contentType === PARQUET
        ? decodeExportParquet(page.bytes)
        : contentType === ARROW
          ? decodeExportArrow(page.bytes)
          : { rows: decodeExportCsv(page.bytes.toString('utf8')), types: [] };
    expectInExportOrder(decoded.rows);
    expect(sortedPoints(decoded.rows)).toEqual(expected);
    if (contentType === PARQUET) {
      expect(decoded.types).toEqual([
        'run_id: String',
        'key: String',
        'step: Int64',
        'value: Float64',
        "timestamp: DateTime64(3, 'UTC')",
        'worker: String',
      ]);
    }
    if (contentType === ARROW) expect(decoded.types[2]).toBe('step: Int64');
  });

  it('answers the header alone, or an empty stream, for runs without points', async () => {
    const csv = await exportPage(runlog.base, 'runId=nothing-here');
    expect(csv.bytes.toString()).toBe('"run_id","key","step","value","timestamp","worker"\n');
    const arrow = await exportPage(runlog.base, 'runId=nothing-here', ARROW);
    expect(decodeExportArrow(arrow.bytes).rows).toEqual([]);
  });

  it.each([
    ['the edge run', 1],
    ['the edge run', 2],
    ['the edge run', 3],
    ['the edge run', 7],
    ['both runs', 999],
    ['both runs', 1_000],
    ['both runs', 2_511],
    ['both runs', 5_021],
    ['both runs', 5_022],
    ['both runs', 5_023],
  ])('pages %s %i points at a time, skipping and repeating none', async (runs, limit) => {
    const query = runs === 'both runs' ? runsQuery() : `runId=${edgeRun}`;
    const wanted = runs === 'both runs' ? expected : expected.filter((row) => row.runId === edgeRun);
    const pages: ExportedRow[][] = [];
    let cursor: string | null = null;
    do {
      const page = await exportPage(
        runlog.base,
        `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      const rows = decodeExportCsv(page.bytes.toString('utf8'));
      pages.push(rows);
      // Only points sharing the one position a page starts at may take it past its limit.
      if (rows.length > limit) expect(comparePositions(rows[0], rows.at(-1)!)).toBe(0);
      if (page.next) {
        expect(rows.length).toBeGreaterThan(0);
        expect(page.link).toContain(`cursor=${page.next}>; rel="next"`);
      }
      cursor = page.next;
    } while (cursor !== null && pages.length <= wanted.length);
    const all = pages.flat();
    expectInExportOrder(all);
    expect(sortedPoints(all)).toEqual(wanted);
    // Past the edge run's shared position no page ends early: the count is exact.
    if (limit >= 999) expect(pages).toHaveLength(Math.ceil(wanted.length / limit));
  });

  it('follows the Link header through Arrow pages, with keys and a step range', async () => {
    let next: string | null =
      `/api/v1/metrics/export?${runsQuery()}&key=loss&key=acc&fromStep=-1&toStep=3&limit=3`;
    const rows: ExportedRow[] = [];
    while (next) {
      const response = await fetch(`${runlog.base}${next}`, { headers: { accept: ARROW } });
      rows.push(...decodeExportArrow(Buffer.from(await response.arrayBuffer())).rows);
      next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
    }
    const wanted = expected.filter(
      (row) => ['loss', 'acc'].includes(row.key) && row.step >= -1 && row.step <= 3,
    );
    expect(sortedPoints(rows)).toEqual(wanted);
  });

  it('exports 1,000 runs of UUID-length ids by POST, paging by the cursor in the body, without a Link', async () => {
    const runIds = [edgeRun, ...Array.from({ length: 998 }, () => randomUUID()), longRun];
    // The same request as a query string: ~43 KB of request line, which Node refuses before any handler (431).
    const query = runIds.map((id) => `runId=${id}`).join('&');
    expect((await exportPage(runlog.base, query)).status).toBe(431);

    const rows: ExportedRow[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await postPage(
        runlog.base,
        { runIds, limit: 1_000, ...(cursor ? { cursor } : {}) },
        pages % 2 === 0 ? CSV : ARROW,
      );
      expect(page.status).toBe(200);
      expect(page.link).toBeNull();
      rows.push(
        ...(pages % 2 === 0
          ? decodeExportCsv(page.bytes.toString('utf8'))
          : decodeExportArrow(page.bytes).rows),
      );
      cursor = page.next;
      pages += 1;
    } while (cursor !== null && pages <= expected.length);
    expectInExportOrder(rows);
    expect(sortedPoints(rows)).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 1_000));

    // The SDK asks the same way, and reads each point's worker.
    const client = new RunlogClient({ baseUrl: runlog.base, flushOnExit: false });
    const exported: ExportedRow[] = [];
    for await (const point of client.exportMetrics({ runIds, pageSize: 2_000 })) exported.push(point);
    expect(sortedPoints(exported)).toEqual(expected);
    expect(new Set(exported.map((point) => point.worker))).toEqual(new Set(['', ...WORKERS]));
    await client.close();
  });

  it('answers 400 naming the body field for a bad POST', async () => {
    const cases: [unknown, string][] = [
      [{}, 'runIds'],
      [{ runIds: edgeRun }, 'runIds'],
      [{ runIds: Array.from({ length: 1_001 }, () => randomUUID()) }, 'runIds'],
      [{ runIds: [edgeRun], keys: ['../loss'] }, 'keys'],
      [{ runIds: [edgeRun], limit: '10' }, 'limit'],
      [{ runIds: [edgeRun], fromStep: 5, toStep: 4 }, 'toStep'],
      [{ runIds: [edgeRun], cursor: 'not-a-cursor' }, 'cursor'],
      [{ runIds: [edgeRun], runId: longRun }, 'runId'],
      [[edgeRun], 'body'],
    ];
    for (const [body, field] of cases) {
      const page = await postPage(runlog.base, body);
      expect({ field, status: page.status }).toEqual({ field, status: 400 });
      expect(JSON.parse(page.bytes.toString())).toMatchObject({ error: 'validation_failed', field });
    }
    const huge = await postPage(runlog.base, {
      runIds: Array.from({ length: 20_000 }, () => 'r'.repeat(64)),
    });
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.bytes.toString())).toMatchObject({ error: 'payload_too_large', field: 'body' });
  });

  it('answers 406, naming the accept header, for a format it cannot write', async () => {
    for (const accept of ['application/json', 'text/html, application/xml;q=0.9', 'text/csv;q=0']) {
      const page = await exportPage(runlog.base, runsQuery(), accept);
      expect(page.status).toBe(406);
      expect(JSON.parse(page.bytes.toString())).toMatchObject({ error: 'not_acceptable', field: 'accept' });
    }
  });

  it('answers 400 naming the field for bad input', async () => {
    const tooMany = Array.from({ length: 1_001 }, (_, index) => `runId=r${index}`).join('&');
    const otherCursor = (await exportPage(runlog.base, `runId=${longRun}&limit=1`)).next;
    const cases: [string, string][] = [
      ['', 'runId'],
      ['runId=a%20b', 'runId'],
      [tooMany, 'runId'],
      [`${runsQuery()}&key=..%2Floss`, 'key'],
      [`${runsQuery()}&limit=0`, 'limit'],
      [`${runsQuery()}&limit=1000001`, 'limit'],
      [`${runsQuery()}&limit=1.5`, 'limit'],
      [`${runsQuery()}&fromStep=5&toStep=4`, 'toStep'],
      [`${runsQuery()}&cursor=not-a-cursor`, 'cursor'],
      [`runId=${edgeRun}&cursor=${otherCursor}`, 'cursor'],
      [`${runsQuery()}&run=${edgeRun}`, 'run'],
    ];
    for (const [query, field] of cases) {
      const page = await exportPage(runlog.base, query);
      expect({ query: query.slice(0, 80), status: page.status }).toEqual({
        query: query.slice(0, 80),
        status: 400,
      });
      expect(JSON.parse(page.bytes.toString())).toMatchObject({ error: 'validation_failed', field });
    }
  });

  it('gives the SDK a run’s whole history, over more points than one page holds', async () => {
    let exportRequests = 0;
    const client = new RunlogClient({
      baseUrl: runlog.base,
      flushOnExit: false,
      fetch: (input, init) => {
        if (String(input).includes('/metrics/export')) exportRequests += 1;
        return fetch(input, init);
      },
    });
    const run = await client.startRun({ experimentName: 'export-sdk', captureContext: false });
    const logged: HistoryPoint[] = [];
    const steps = 60_000; // two keys: 120,000 points, past the server's default page of 100,000
    for (let step = 0; step < steps; step += 1) {
      const timestamp = 1_700_000_000_000 + step;
      const metrics = {
        loss: step % 1_000 === 0 ? NaN : 1 / (step + 1),
        acc: step === 7 ? -Infinity : step / steps,
      };
      await run.log(metrics, step - 10, timestamp);
      for (const [key, value] of Object.entries(metrics))
        logged.push({ key, step: step - 10, value, timestamp, worker: '' });
    }
    await run.finish();
    await client.flush();
    await waitForProjection(runlog.base, 120_000);

    const history: HistoryPoint[] = [];
    for await (const point of run.history()) history.push(point);
    const byKeyAndStep = (a: HistoryPoint, b: HistoryPoint) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : a.step - b.step;
    expect(history).toEqual([...logged].sort(byKeyAndStep));
    expect(exportRequests).toBe(2);

    const loss = (
      await collectHistory(run.history(['loss'], { fromStep: -10, toStep: 989, pageSize: 300 }))
    ).get('loss');
    expect(loss?.steps).toEqual(Array.from({ length: 1_000 }, (_, at) => at - 10));
    expect(loss?.values[0]).toBeNaN();
    expect(loss?.timestamps.at(-1)).toBe(1_700_000_000_000 + 999);
    await client.close();
  });
});
