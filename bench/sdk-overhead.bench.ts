/**
 * `npm run bench:sdk -- [steps] [--python]`: what the SDK adds to a tight training loop that logs three metrics every
 * step, against a real embedded server. The loop's own work is a few floating-point operations, so the difference is
 * the SDK's cost per step (buffering, admission); sending happens in the background and is timed apart (the drain),
 * and points / (loop + drain) is the rate one process's points reach the server.
 *
 * With `--python`, the Python SDK (sdks/python/bench/overhead.py, in a venv of its one dependency) is measured in the
 * same run, the two interleaved twice on the same server, so the machine's noise falls on both alike.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunlogClient } from '../libs/sdk/src/runlog';
import { ensurePythonVenv } from '../test/support/mlflow-python';
import { repoRoot, startRunlog } from '../test/support/runlog-process';

const run = promisify(execFile);
const PYTHON_SDK_BENCH_VENV = { name: 'python-sdk-bench-1', requirements: ['urllib3==2.5.0'] };
const ROUNDS_WITH_PYTHON = 2;

function train(step: number): { loss: number; acc: number; lr: number } {
  const loss = 1 / (1 + step) + Math.sin(step) * 1e-3;
  return { loss, acc: 1 - loss, lr: 1e-3 * Math.cos(step / 1000) };
}

async function typescriptRound(base: string, steps: number): Promise<Record<string, unknown>> {
  let sink = 0;
  const bare = process.hrtime.bigint();
  for (let step = 0; step < steps; step++) sink += train(step).loss;
  const bareNs = Number(process.hrtime.bigint() - bare);

  const client = new RunlogClient({ baseUrl: base, flushOnExit: false });
  const sdkRun = await client.startRun({ experimentName: 'sdk-overhead', captureContext: false });
  const logged = process.hrtime.bigint();
  for (let step = 0; step < steps; step++) {
    const metrics = train(step);
    sink += metrics.loss;
    await sdkRun.log({ 'train/loss': metrics.loss, 'train/acc': metrics.acc, 'train/lr': metrics.lr }, step);
  }
  const loggedNs = Number(process.hrtime.bigint() - logged);
  const flushStarted = process.hrtime.bigint();
  await sdkRun.finish();
  await client.close();
  const flushNs = Number(process.hrtime.bigint() - flushStarted);
  return {
    sdk: 'typescript',
    steps,
    points: steps * 3,
    loopWithoutSdkMs: Math.round(bareNs / 1e6),
    loopWithSdkMs: Math.round(loggedNs / 1e6),
    sdkOverheadPerStepUs: Number(((loggedNs - bareNs) / steps / 1000).toFixed(2)),
    drainAfterLoopMs: Math.round(flushNs / 1e6),
    pointsPerSecondToServer: Math.round((steps * 3) / ((loggedNs + flushNs) / 1e9)),
    sink: Math.round(sink),
  };
}

async function pythonRound(python: string, base: string, steps: number): Promise<Record<string, unknown>> {
  const sdk = join(repoRoot(), 'sdks', 'python');
  const { stdout } = await run(python, [join(sdk, 'bench', 'overhead.py'), base, String(steps)], {
    env: { ...process.env, PYTHONPATH: join(sdk, 'src') },
    maxBuffer: 1 << 20,
  });
  const lines = stdout.trim().split('\n');
  return { sdk: 'python', ...(JSON.parse(lines[lines.length - 1]) as Record<string, unknown>) };
}

async function main() {
  const args = process.argv.slice(2);
  const withPython = args.includes('--python');
  const steps = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 300_000);
  const python = withPython ? await ensurePythonVenv(PYTHON_SDK_BENCH_VENV) : null;
  const dataDir = mkdtempSync(join(tmpdir(), 'runlog-sdk-bench-'));
  const server = await startRunlog(dataDir, { RUNLOG_ROLES: 'ingest' });
  try {
    for (let round = 1; round <= (python ? ROUNDS_WITH_PYTHON : 1); round++) {
      process.stderr.write(`round ${round}: TypeScript SDK, ${steps} steps…\n`);
      console.log(JSON.stringify({ round, ...(await typescriptRound(server.base, steps)) }));
      if (python) {
        process.stderr.write(`round ${round}: Python SDK, ${steps} steps…\n`);
        console.log(JSON.stringify({ round, ...(await pythonRound(python, server.base, steps)) }));
      }
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
