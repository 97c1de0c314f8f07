import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startFaultProxy } from '../support/fault-proxy';
import { ensurePythonSdkVenv, installWheel, outcome, runIn, runPytest } from '../support/python-sdk';
import { gql, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/** What sdks/python/tests/test_load.py wrote of each run it logged: the projection must hold exactly this. */
interface ExpectedRun {
  id: string;
  status: string;
  failureReason?: string;
  stackTraceHas?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  seeds?: Record<string, string>;
  inputs?: { name: string; split: string; rows: number }[];
  artifacts?: Record<string, string>;
  metrics: Record<string, { count: number; min: number | null; max: number | null; last: number | string }>;
}

interface RunView {
  status: string;
  failureReason: string | null;
  stackTrace: string | null;
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
  metrics: { key: string; count: number; min: number | null; max: number | null; last: number | string }[];
  inputs: { name: string; split: string | null; rows: number | null }[];
  context: {
    code: { commit: string | null } | null;
    environment: { runtime: string; runtimeVersion: string } | null;
    seeds: { key: string; value: string }[];
    host: string | null;
  } | null;
}

const RUN_FIELDS = `status failureReason stackTrace params { key value } tags { key value }
  metrics { key count min max last lastStep } inputs { name split rows }
  context { code { commit } environment { runtime runtimeVersion } seeds { key value } host }`;

const pairs = (record: Record<string, string> = {}) =>
  Object.entries(record)
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));

describe('the Python SDK (sdks/python) against a real server', () => {
  const runlog = useRunlog();
  let python = '';
  let site = '';

  beforeAll(async () => {
    python = await ensurePythonSdkVenv();
    ({ site } = await installWheel(python));
  }, 20 * 60_000);

  it(
    'builds a typed wheel whose code passes ruff, mypy --strict and a Python 3.9 check',
    async () => {
      const listing = await runIn(python, [
        '-c',
        `import os; print("\\n".join(sorted(os.listdir(${JSON.stringify(join(site, 'runlog'))}))))`,
      ]);
      expect(listing.output.split('\n')).toEqual(
        expect.arrayContaining(['__init__.py', 'py.typed', 'integrations']),
      );
      for (const args of [
        ['-m', 'ruff', 'check', 'src', 'tests', 'bench'],
        ['-m', 'ruff', 'format', '--check', 'src', 'tests', 'bench'],
        ['-m', 'mypy', 'src'],
        // The suite runs on this machine's 3.11; vermin checks every construct and library call against 3.9.
        [
          '-c',
          'import sys, vermin; sys.exit(vermin.main())',
          '-t=3.9-',
          '--no-tips',
          '--eval-annotations',
          '--violations',
          'src',
        ],
      ]) {
        const result = await runIn(python, args);
        expect({ args, code: result.code, output: result.code === 0 ? '' : result.output }).toEqual({
          args,
          code: 0,
          output: '',
        });
      }
    },
    5 * 60_000,
  );

  it(
    'passes its own suite: values at and beyond every edge, retries, backpressure, fork, exit and signals',
    async () => {
      const result = await runIn(
        python,
        ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-m', 'not server'],
        {
          PYTHONPATH: site,
        },
      );
      expect(outcome(result)).toBe('exit 0');
      expect(result.output).toMatch(/\d+ passed/);
      expect(result.output).not.toMatch(/skipped|failed|error/);
    },
    10 * 60_000,
  );

  it(
    'lands 16 runs from threads and processes, 1,000,000 points, through injected failures and a restart',
    async () => {
      const proxy = await startFaultProxy(runlog.base);
      const manifest = join(runlog.dataDir, 'python-manifest.json');
      let restarted = false;
      const pytest = runIn(python, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'tests/test_load.py'], {
        PYTHONPATH: site,
        RUNLOG_URL: proxy.base,
        RUNLOG_MANIFEST: manifest,
      });
      let finished = false;
      void pytest.finally(() => (finished = true));
      try {
        while (!finished) {
          if (!restarted && proxy.counts.metricBatches >= 40) {
            // The server goes away part-way: the SDK retries (same event ids) until the new one answers.
            proxy.setUpstream(null);
            await runlog.restart();
            proxy.setUpstream(runlog.base);
            restarted = true;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const result = await pytest;
        expect(outcome(result)).toBe('exit 0');
      } finally {
        await proxy.close();
      }
      expect(restarted).toBe(true);
      for (const kind of ['refused', 'busy', 'answerLost', 'upstreamDown'] as const) {
        expect({ kind, faults: proxy.counts[kind] > 0 }).toEqual({ kind, faults: true });
      }

      const expected = JSON.parse(readFileSync(manifest, 'utf8')) as { runs: ExpectedRun[]; python: string };
      await waitForProjection(runlog.base, 180_000);
      const gitHead = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
      let loadPoints = 0;
      for (const want of expected.runs) {
        const { run } = await gql<{ run: RunView }>(
          runlog.base,
          `query ($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`,
          {
            id: want.id,
          },
        );
        expect(run.status).toBe(want.status);
        expect(run.metrics).toEqual(
          Object.entries(want.metrics)
            .map(([key, metric]) => ({ key, ...metric }))
            .sort((a, b) => (a.key < b.key ? -1 : 1)),
        );
        if (want.status === 'failed') {
          expect(run.failureReason).toBe(want.failureReason);
          expect(run.stackTrace).toContain('Traceback (most recent call last)');
          expect(run.stackTrace).toContain(want.stackTraceHas);
          continue;
        }
        loadPoints += run.metrics.reduce((sum, metric) => sum + metric.count, 0);
        expect(run.params).toEqual(pairs(want.params));
        expect(run.tags).toEqual(pairs(want.tags));
        expect(run.inputs).toEqual(want.inputs);
        expect(run.context).toEqual({
          code: { commit: gitHead },
          environment: { runtime: 'python', runtimeVersion: expected.python },
          seeds: pairs(want.seeds),
          host: hostname(),
        });
        for (const [path, digest] of Object.entries(want.artifacts ?? {})) {
          const artifact = await fetch(`${runlog.base}/api/v1/runs/${want.id}/artifacts/${path}`);
          expect(artifact.headers.get('x-runlog-artifact-digest')).toBe(digest);
        }
      }
      expect(expected.runs.filter((run) => run.status === 'finished')).toHaveLength(16);
      expect(loadPoints).toBe(1_000_000);
    },
    15 * 60_000,
  );

  it(
    'logs through the Keras hook on a tiny model (Lightning and Transformers: npm run test:python-hooks)',
    async () => {
      const result = await runPytest(python, site, 'keras', { RUNLOG_URL: runlog.base });
      expect(outcome(result)).toBe('exit 0');
      expect(result.output).toMatch(/\b1 passed/);
    },
    10 * 60_000,
  );
});
