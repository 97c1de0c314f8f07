import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensurePythonVenv,
  MLFLOW_SERVER,
  runMlflowScript,
  startMlflowServer,
} from '../support/mlflow-python';
import { gql, logEnd, waitForProjection } from '../support/runlog-client';
import { runImport } from '../support/import-cli';
import { useRunlog } from '../support/runlog-process';

interface Logged {
  parent: string;
  child: string;
  gone: string;
  trained: string;
  times: { start: number; end: number };
}

/**
 * `runlog import mlflow` (issue 16) of what the unchanged client logged to its file store, and to MLflow's own
 * tracking server (read through its REST API and artifact proxy): each twice, the second a no-op.
 */
describe('runlog import mlflow', () => {
  const runlog = useRunlog();
  let folder = '';
  let server: { base: string; child: ChildProcess } | undefined;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'mlruns-'));
  });
  afterAll(() => {
    server?.child.kill('SIGTERM');
    rmSync(folder, { recursive: true, force: true });
  });

  /** Logs the same content to the source; answers the source as the importer names it, and the logged ids. */
  const sources: Record<
    string,
    (experiment: string, model: string) => Promise<{ source: string; ids: Logged }>
  > = {
    'a file store folder': async (experiment, model) => {
      process.env.MLFLOW_ALLOW_FILE_STORE = 'true';
      const source = join(folder, 'mlruns');
      const ids = await runMlflowScript<Logged>(
        join(__dirname, 'mlflow', 'make_mlruns.py'),
        'file:///unused',
        {
          folder: source,
          experiment,
          model,
          steps: 30,
        },
      );
      return { source, ids };
    },
    'a tracking server': async (experiment, model) => {
      server = await startMlflowServer(await ensurePythonVenv(MLFLOW_SERVER), join(folder, 'server'));
      const ids = await runMlflowScript<Logged>(join(__dirname, 'mlflow', 'make_mlruns.py'), server.base, {
        tracking_uri: server.base,
        experiment,
        model,
        steps: 30,
      });
      return { source: server.base, ids };
    },
  };

  it.each(Object.keys(sources))(
    'imports experiments, runs, params, tags, histories, status and artifacts from %s; nothing the second time',
    async (kind) => {
      const model = `classifier-${kind.split(' ').pop()}`;
      const { source, ids } = await sources[kind](`imported-${kind.split(' ').pop()}`, model);
      const importOnce = () => runImport(runlog.base, 'mlflow', source);
      expect(await importOnce()).toEqual({
        experiments: 2,
        runs: 4,
        points: 32,
        artifacts: 3,
        refused: [],
        registered: { models: 1, versions: 2 },
      });
      const end = await logEnd(runlog.base);
      expect((await importOnce()).refused).toEqual([]);
      expect(await logEnd(runlog.base)).toBe(end);

      await waitForProjection(runlog.base);
      const { parent, child, gone } = await gql<Record<'parent' | 'child' | 'gone', Record<string, unknown>>>(
        runlog.base,
        `query($p: ID!, $c: ID!, $g: ID!) {
          parent: run(id: $p) { name status startTime endTime params { key value } tags { key value }
            metrics { key count lastStep last } artifacts { path size } }
          child: run(id: $c) { name parentRunId params { key value } }
          gone: run(id: $g) { deleted status } }`,
        { p: ids.parent, c: ids.child, g: ids.gone },
      );
      expect(parent).toMatchObject({
        name: 'parent',
        status: 'finished',
        // MLflow's own times, not the import's.
        startTime: ids.times.start,
        endTime: ids.times.end,
        params: [
          { key: 'lr', value: '0.1' },
          { key: 'opt', value: 'adam' },
        ],
        metrics: [
          { key: 'loss', count: 30, lastStep: 29, last: 1 / 30 },
          // MLflow's SQL store keeps an infinity as the largest double, and its API answers that.
          {
            key: 'weird',
            count: 2,
            lastStep: 6,
            last: kind === 'a tracking server' ? Number.MAX_VALUE : 'Infinity',
          },
        ],
        artifacts: [
          { path: 'n.txt', size: 2 },
          { path: 'sub/m.json', size: 2 },
        ],
      });
      expect(parent.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'a' }]));
      expect(child).toEqual({
        name: 'child',
        parentRunId: ids.parent,
        params: [{ key: 'seed', value: '1' }],
      });
      expect(gone).toEqual({ deleted: true, status: 'finished' });

      // The registry: both versions of the run's model folder, the alias and the stage as promotions.
      const { registeredModel } = await gql<{ registeredModel: Record<string, unknown> }>(
        runlog.base,
        `query($n: String!) { registeredModel(name: $n) { description tags { key value }
          versions { version runId artifactPath stage } aliases { alias version } } }`,
        { n: model },
      );
      expect(registeredModel).toEqual({
        description: 'the classifier',
        tags: [{ key: 'team', value: 'a' }],
        versions: [
          { version: 1, runId: ids.trained, artifactPath: 'model/MLmodel', stage: 'None' },
          { version: 2, runId: ids.trained, artifactPath: 'model/MLmodel', stage: 'Production' },
        ],
        aliases: [{ alias: 'champion', version: 1 }],
      });
    },
    300_000,
  );
});
