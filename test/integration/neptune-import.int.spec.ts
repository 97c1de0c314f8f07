import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePythonVenv, runMlflowScript } from '../support/mlflow-python';
import { PYARROW } from '../support/python-venvs';
import { gql, logEnd, waitForProjection } from '../support/runlog-client';
import { importedRunsByName, runImport } from '../support/import-cli';
import { useRunlog } from '../support/runlog-process';

interface ReadRun {
  id: string;
  name: string;
  status: string;
  startTime: number;
  endTime: number;
  parentRunId: string | null;
  note: string;
  failureReason: string | null;
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: { key: string; count: number; lastStep: number }[];
  artifacts: { path: string; size: number }[];
}

const CREATED = 1_700_000_000_123;
const loss = Array.from(
  { length: 30_000 },
  (_, step) => [step, 1 / (step + 1), CREATED + 1000 + step] as const,
);

/** `runlog import neptune` (issue 16) of an export laid out and typed as neptune-exporter writes it. */
describe('runlog import neptune', () => {
  const runlog = useRunlog();
  let root = '';
  let project = '';
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'neptune-'));
    project = `org-${randomBytes(3).toString('hex')}/vision`;
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const write = async (
    folder: string,
    runs: Record<string, unknown>,
    downloads: Record<string, string> = {},
  ) =>
    runMlflowScript(
      join(__dirname, 'neptune', 'write_export.py'),
      'unused',
      { project, data: join(root, folder, 'data'), files: join(root, folder, 'files'), runs, downloads },
      { python: await ensurePythonVenv(PYARROW) },
    );
  const importOnce = (folder: string, ...extra: string[]) =>
    runImport(runlog.base, 'neptune', folder, ...extra);
  const runsOf = (experimentName: string) =>
    importedRunsByName<ReadRun>(
      runlog.base,
      experimentName,
      `id status startTime endTime parentRunId note failureReason params { key value } tags { key value }
        metrics { key count lastStep } artifacts { path size }`,
    );

  it('imports runs, forks, params, series (NaN written as null), files and sys fields; the second time appends nothing', async () => {
    await write(
      'export',
      {
        'run-1': {
          parts: 3,
          attributes: [
            ['sys/custom_run_id', 'string', 'run-1'],
            ['sys/name', 'string', 'exp-a'],
            ['sys/experiment/name', 'string', 'exp-a'],
            ['sys/creation_time', 'datetime', CREATED],
            ['sys/ping_time', 'datetime', CREATED + 900_000],
            ['sys/owner', 'string', 'ana'],
            ['sys/description', 'string', 'the baseline'],
            ['sys/tags', 'string_set', ['b', 'a']],
            ['sys/failed', 'bool', false],
            ['config/lr', 'float', 0.1],
            ['config/layers', 'int', 12],
            ['config/optimizer', 'string', 'adam'],
            ['config/augment', 'bool', true],
            ['config/since', 'datetime', CREATED - 1000],
            ['config/classes', 'string_set', ['dog', 'cat']],
            // Another run's parameter, melted into this run's rows with no value: not this run's.
            ['config/other', 'float', null],
            ['monitoring/stdout', 'string_series', 'hello', 0, CREATED + 500],
            ['files/desc', 'file', 'run-1/files/desc_json.json'],
            ['predictions', 'file_series', 'run-1/predictions/step_1_000000.png', 1, CREATED + 600],
          ],
          series: {
            'train/loss': loss,
            'val loss': [
              [0, 'nan', CREATED + 2000],
              [1, 'inf', CREATED + 3000],
              [2, 0.25, CREATED + 4000],
            ],
          },
        },
        'run-1-fork': {
          attributes: [
            ['sys/custom_run_id', 'string', 'run-1-fork'],
            ['sys/name', 'string', 'exp-a'],
            ['sys/forking/parent', 'string', 'run-1'],
            ['sys/forking/step', 'float', 2],
            ['sys/creation_time', 'datetime', CREATED + 5000],
            ['sys/failed', 'bool', true],
          ],
          series: { 'train/loss': [[3, 0.2, CREATED + 6000]] },
        },
      },
      { 'run-1/files/desc_json.json': '{"rows": 10}', 'run-1/predictions/step_1_000000.png': 'PNG!' },
    );
    const folder = join(root, 'export');
    expect(await importOnce(folder)).toEqual({
      experiments: 1,
      runs: 2,
      points: loss.length + 4,
      artifacts: 2,
      refused: [],
      skipped: { string_series: 1 },
    });
    const end = await logEnd(runlog.base);
    expect((await importOnce(folder)).refused).toEqual([]);
    expect(await logEnd(runlog.base)).toBe(end);

    await waitForProjection(runlog.base);
    const byName = await runsOf(project);
    expect(Object.keys(byName).sort()).toEqual(['run-1', 'run-1-fork']);
    const main = byName['run-1'];
    expect(main).toMatchObject({
      status: 'finished',
      startTime: CREATED,
      endTime: CREATED + 900_000,
      parentRunId: null,
      note: 'the baseline',
    });
    expect(main.params).toEqual([
      { key: 'config/augment', value: 'true' },
      { key: 'config/classes', value: 'cat, dog' },
      { key: 'config/layers', value: '12' },
      { key: 'config/lr', value: '0.1' },
      { key: 'config/optimizer', value: 'adam' },
      { key: 'config/since', value: new Date(CREATED - 1000).toISOString() },
    ]);
    expect(main.tags).toEqual(
      expect.arrayContaining([
        { key: 'neptune.project', value: project },
        { key: 'neptune.run_id', value: 'run-1' },
        { key: 'neptune.name', value: 'exp-a' },
        { key: 'neptune.tags', value: 'a, b' },
      ]),
    );
    expect(main.metrics).toEqual([
      { key: 'train/loss', count: loss.length, lastStep: loss.length - 1 },
      { key: 'val loss', count: 3, lastStep: 2 },
    ]);
    expect(main.artifacts).toEqual([
      { path: 'files/desc/desc_json.json', size: 12 },
      { path: 'predictions/step_1_000000.png', size: 4 },
    ]);
    expect(byName['run-1-fork']).toMatchObject({
      status: 'failed',
      parentRunId: main.id,
      startTime: CREATED + 5000,
      endTime: CREATED + 6000,
      metrics: [{ key: 'train/loss', count: 1, lastStep: 3 }],
    });

    const series = async (key: string) =>
      (
        await gql<{
          runMetricSeries: { points: { step: number; value: number | string; timestamp: number }[] };
        }>(
          runlog.base,
          `query($r: ID!, $k: String!) { runMetricSeries(runId: $r, key: $k, maxPoints: 10) {
            points { step value timestamp } } }`,
          { r: main.id, k: key },
        )
      ).runMetricSeries.points;
    expect(await series('val loss')).toEqual([
      { step: 0, value: 'NaN', timestamp: CREATED + 2000 },
      { step: 1, value: 'Infinity', timestamp: CREATED + 3000 },
      { step: 2, value: 0.25, timestamp: CREATED + 4000 },
    ]);
  }, 300_000);

  it('refuses a run whose part 0 is missing, files outside the export, and steps that are not integers unless a multiplier makes them so', async () => {
    await write('partial', {
      cut: { parts: 2, attributes: [['config/x', 'int', 1]], series: { a: [[0, 1, CREATED]] } },
      halves: {
        // A file path from the export never reaches outside its files folder.
        attributes: [
          ['evil', 'file', '../../../../../../../etc/hostname'],
          // Nor through a symbolic link inside it.
          ['linked', 'file', 'halves/hostname'],
        ],
        series: {
          lr: [
            [0.5, 0.1, CREATED],
            [1.5, 0.2, CREATED + 1],
          ],
        },
      },
    });
    const data = join(root, 'partial', 'data');
    const [projectDir] = readdirSync(data);
    mkdirSync(join(root, 'partial', 'files', projectDir, 'halves'), { recursive: true });
    symlinkSync('/etc/hostname', join(root, 'partial', 'files', projectDir, 'halves', 'hostname'));
    const part0 = readdirSync(join(data, projectDir)).find(
      (name) => name.startsWith('cut-') && name.endsWith('_part_0.parquet'),
    );
    rmSync(join(data, projectDir, part0!));
    // The data folder itself may be named, as the exporter's --data-path.
    const refused = await importOnce(
      data,
      '--experiment',
      `halves-${project}`,
      '--files',
      join(root, 'partial', 'files'),
    );
    expect(refused.refused).toEqual([
      { what: 'run cut', why: expect.stringContaining('no part 0') },
      {
        what: expect.stringMatching(/^run nep-[0-9a-f]{32} metric lr$/),
        why: expect.stringContaining('not integers'),
      },
      {
        what: expect.stringMatching(/^run nep-[0-9a-f]{32} file evil$/),
        why: expect.stringContaining('not under'),
      },
      {
        what: expect.stringMatching(/^run nep-[0-9a-f]{32} file linked$/),
        why: expect.stringContaining('not under'),
      },
    ]);
    expect([refused.runs, refused.artifacts]).toEqual([1, 0]);

    await write('doubled', {
      halves2: {
        attributes: [],
        series: {
          // 0.07 × 100 is 7.000000000000001 in doubles: the exporter's 6 decimal places make it 7.
          lr: [
            [0.07, 0.1, CREATED],
            [1.5, 0.2, CREATED + 1],
          ],
        },
      },
    });
    expect(
      await importOnce(
        join(root, 'doubled'),
        '--step-multiplier',
        '100',
        '--experiment',
        `doubled-${project}`,
      ),
    ).toMatchObject({
      runs: 1,
      points: 2,
      refused: [],
    });
    await waitForProjection(runlog.base);
    expect((await runsOf(`doubled-${project}`)).halves2.metrics).toEqual([
      { key: 'lr', count: 2, lastStep: 150 },
    ]);
  }, 240_000);
});
