import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { decodeExportCsv, exportPage, sortedPoints } from '../support/export-decoding';
import { ensurePythonVenv, runMlflowScript } from '../support/mlflow-python';
import { TENSORBOARD } from '../support/python-venvs';
import { gql, logEnd, waitForProjection } from '../support/runlog-client';
import { importedRunsByName, runImport } from '../support/import-cli';
import { useRunlog } from '../support/runlog-process';

interface ReadRun {
  id: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number;
  failureReason: string | null;
  parentRunId: string | null;
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: { key: string; count: number; lastStep: number }[];
}

const START = 1_700_000_000.25;
const loss = Array.from({ length: 25_000 }, (_, step) => ['loss', step, 1 / (step + 1)] as const);

/** `runlog import tensorboard` (issue 16) of a logdir the `tensorboard` package wrote: twice, the second a no-op. */
describe('runlog import tensorboard', () => {
  const runlog = useRunlog();
  let logdir = '';
  beforeAll(() => {
    logdir = join(mkdtempSync(join(tmpdir(), 'tb-')), `logs-${randomBytes(3).toString('hex')}`);
  });
  afterAll(() => rmSync(join(logdir, '..'), { recursive: true, force: true }));

  const importOnce = (...extra: string[]) => runImport(runlog.base, 'tensorboard', logdir, ...extra);

  it('imports scalars (legacy and tensor), hparams, ends and nested runs, and appends nothing the second time', async () => {
    const python = await ensurePythonVenv(TENSORBOARD);
    await runMlflowScript(
      join(__dirname, 'tensorboard', 'write_logdir.py'),
      'unused',
      {
        logdir,
        runs: {
          // torch's SummaryWriter: simple values, a resumed job's two files, the hparams plugin.
          lr_0_1: {
            files: 2,
            start: START,
            legacy: true,
            hparams: { lr: 0.1, optimizer: 'adam', augment: true, layers: 12 },
            scalars: [...loss, ['acc', 3, 0.5], ['acc', 7, 'nan'], ['Loss/train', 9, '-inf']],
            status: 'success',
          },
          // tf.summary v2: scalars as tensors; a failed trial.
          'lr_0_1/eval': {
            files: 1,
            start: START + 5,
            legacy: false,
            scalars: [['acc', 1, 0.75]],
            status: 'failure',
          },
          'sweep/lr_0_01': {
            files: 1,
            start: START + 10,
            legacy: false,
            scalars: [
              ['acc', 2, 0.125],
              ['val loss', 4, 2],
            ],
          },
        },
      },
      { python },
    );

    const first = await importOnce();
    expect(first).toEqual({
      experiments: 1,
      runs: 3,
      points: loss.length + 6,
      artifacts: 0,
      refused: [],
      skipped: { text: 3 },
    });
    const end = await logEnd(runlog.base);
    expect((await importOnce()).refused).toEqual([]);
    expect(await logEnd(runlog.base)).toBe(end);

    await waitForProjection(runlog.base);
    // The experiment is named after the logdir.
    const byName = await importedRunsByName<ReadRun>(
      runlog.base,
      basename(logdir),
      `id status startTime endTime failureReason parentRunId params { key value } tags { key value }
        metrics { key count lastStep }`,
    );
    expect(Object.keys(byName).sort()).toEqual(['lr_0_1', 'lr_0_1/eval', 'sweep/lr_0_01']);
    const main = byName.lr_0_1;
    expect(main).toMatchObject({
      status: 'finished',
      startTime: Math.round(START * 1000),
      parentRunId: null,
    });
    expect(main.params).toEqual([
      { key: 'augment', value: 'true' },
      { key: 'layers', value: '12' },
      { key: 'lr', value: '0.1' },
      { key: 'optimizer', value: 'adam' },
    ]);
    expect(main.tags).toEqual(expect.arrayContaining([{ key: 'tensorboard.run', value: 'lr_0_1' }]));
    expect(main.metrics).toEqual([
      { key: 'Loss/train', count: 1, lastStep: 9 },
      { key: 'acc', count: 2, lastStep: 7 },
      { key: 'loss', count: loss.length, lastStep: loss.length - 1 },
    ]);
    expect(byName['lr_0_1/eval']).toMatchObject({ status: 'failed', parentRunId: main.id });
    expect(byName['sweep/lr_0_01']).toMatchObject({
      status: 'finished',
      parentRunId: null,
      params: [],
      metrics: [
        { key: 'acc', count: 1, lastStep: 2 },
        { key: 'val loss', count: 1, lastStep: 4 },
      ],
    });

    const series = async (runId: string, key: string) =>
      (
        await gql<{
          runMetricSeries: { points: { step: number; value: number | string; timestamp: number }[] };
        }>(
          runlog.base,
          `query($r: ID!, $k: String!) { runMetricSeries(runId: $r, key: $k, maxPoints: 100) {
            points { step value timestamp } } }`,
          { r: runId, k: key },
        )
      ).runMetricSeries.points;
    // simple_value is a float32: every value comes back as the writer's float rounded to single precision.
    const exported = await exportPage(runlog.base, `runId=${main.id}&key=loss&limit=100000`);
    expect([exported.status, exported.next]).toEqual([200, null]);
    const lossPoints = sortedPoints(decodeExportCsv(exported.bytes.toString()));
    expect(lossPoints.map((point) => [point.step, point.value])).toEqual(
      loss.map(([, step, value]) => [step, Math.fround(value)]),
    );
    expect(lossPoints[0].timestamp).toBe(Math.round((START + 0.5) * 1000));
    expect((await series(main.id, 'acc')).map((point) => point.value)).toEqual([0.5, 'NaN']);
    expect((await series(main.id, 'Loss/train')).map((point) => point.value)).toEqual(['-Infinity']);
    expect((await series(byName['lr_0_1/eval'].id, 'acc')).map((point) => point.value)).toEqual([0.75]);
  }, 300_000);

  it('reads a file up to a torn or damaged record, and names the damage', async () => {
    const folder = join(logdir, 'sweep', 'lr_0_01');
    const [file] = readdirSync(folder).filter((name) => name.includes('tfevents'));
    // A torn tail (a writer still running) is the end of the file: nothing is refused.
    appendFileSync(join(folder, file), Buffer.from([0x10, 0, 0, 0, 0, 0]));
    expect(await importOnce()).toMatchObject({ runs: 3, refused: [] });
    // Twelve whole bytes whose checksum does not match are damage: named, and the runs before it still import.
    appendFileSync(join(folder, file), Buffer.alloc(12, 0xff));
    const damaged = await importOnce();
    expect(damaged.refused).toEqual([
      {
        what: expect.stringMatching(/^run tb-[0-9a-f]{32} events$/),
        why: expect.stringContaining('bad length checksum'),
      },
    ]);
    expect(damaged.runs).toBe(3);
  }, 120_000);
});
