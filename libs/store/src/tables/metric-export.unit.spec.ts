import { recordingReader } from '../testing/recording-ports';
import { metricExportPageSql, planMetricExportPage, type ExportPosition } from './metric-export';

/**
 * What planning and streaming an export page ask of ClickHouse, snapshotted; every value bound. The recording
 * reader answers as scripted, so the page boundaries follow from the answers without an engine (the integration
 * spec pages through the real one).
 */
const scope = { runIds: ['run-1', 'run-2'], keys: ['loss'], fromStep: -5, toStep: 100 };
const at = (step: string, timestamp = '1000', worker = ''): ExportPosition => ({
  runId: 'run-1',
  key: 'loss',
  step,
  timestamp,
  worker,
});
const boundary = (points: number, tied: number, position = at('7')) => ({
  points,
  tied,
  runId: position.runId,
  metricKey: position.key,
  stepText: position.step,
  epochMillis: position.timestamp,
  workerLabel: position.worker,
});

describe('planning an export page', () => {
  it('ends the export at a page that holds the rest', async () => {
    const { reader, operations } = recordingReader({ planMetricExportPage: [boundary(3, 0)] });
    const page = await planMetricExportPage(reader, scope, null, 3);
    expect(page).toEqual({ scope, from: null, before: null });
    expect(operations).toMatchSnapshot();
  });

  it('ends a page before the point after its limit, where the next one starts', async () => {
    const { reader, operations } = recordingReader({ planMetricExportPage: [boundary(4, 0)] });
    const page = await planMetricExportPage(reader, scope, at('2'), 3);
    expect(page.before).toEqual(at('7'));
    expect(operations.map((operation) => operation.name)).toEqual(['planMetricExportPage']);
    expect(operations).toMatchSnapshot();
  });

  it('takes every point of a position shared past the limit, ending at the next position', async () => {
    const { reader, operations } = recordingReader({
      planMetricExportPage: [boundary(4, 1, at('2'))],
      'planMetricExportPage.next': [
        { runId: 'run-2', metricKey: 'loss', stepText: '-5', epochMillis: '0', workerLabel: 'rank-1' },
      ],
    });
    const page = await planMetricExportPage(reader, scope, at('2'), 3);
    expect(page.before).toEqual({
      runId: 'run-2',
      key: 'loss',
      step: '-5',
      timestamp: '0',
      worker: 'rank-1',
    });
    expect(operations.map((operation) => operation.name)).toEqual([
      'planMetricExportPage',
      'planMetricExportPage.next',
    ]);
    expect(operations[1]).toMatchSnapshot();
  });

  it('ends the export when nothing follows a shared position', async () => {
    const { reader } = recordingReader({ planMetricExportPage: [boundary(4, 1, at('2'))] });
    expect((await planMetricExportPage(reader, scope, at('2'), 3)).before).toBeNull();
  });

  it('ends a page between two workers of one (run, key, step, time): the worker is part of a position', async () => {
    const { reader, operations } = recordingReader({
      planMetricExportPage: [boundary(4, 0, at('2', '1000', 'rank-1'))],
    });
    const page = await planMetricExportPage(reader, scope, at('2', '1000', 'rank-0'), 3);
    expect(page.before).toEqual(at('2', '1000', 'rank-1'));
    const [plan] = operations as { sql: string }[];
    expect(plan.sql).toContain('toString(worker))');
    expect(plan.sql).toContain('ORDER BY run_id, key, step, timestamp, worker');
  });
});

describe('the page query', () => {
  it('exports the worker of each point, ordered last', () => {
    const { sql } = metricExportPageSql('runlog', { scope, from: null, before: null });
    expect(sql).toMatch(/^SELECT run_id, key, step, value, timestamp, worker FROM/);
    expect(sql).toMatch(/ORDER BY run_id, key, step, timestamp, worker$/);
  });

  it('reads the points from a position up to the next page, in the export order', () => {
    expect(
      metricExportPageSql('runlog', { scope, from: at('2'), before: at('7', '2000') }),
    ).toMatchSnapshot();
  });

  it('reads every key of the runs when no key is named', () => {
    const { sql, params } = metricExportPageSql('runlog', {
      scope: { runIds: ['run-1'] },
      from: null,
      before: null,
    });
    expect(sql).not.toContain('key IN');
    expect(params).toEqual({ e0: ['run-1'] });
  });
});
