/**
 * `npm run bench:sdk -- [steps]`: what the SDK adds to a tight training loop that logs three metrics every step,
 * against a real embedded server. The loop's own work is a few floating-point operations, so the difference is the
 * SDK's cost per step (buffering, admission); sending happens in the background and is timed apart (flush).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunlogClient } from '../libs/sdk/src/runlog';
import { startRunlog } from '../test/support/runlog-process';

function train(step: number): { loss: number; acc: number; lr: number } {
  const loss = 1 / (1 + step) + Math.sin(step) * 1e-3;
  return { loss, acc: 1 - loss, lr: 1e-3 * Math.cos(step / 1000) };
}

async function main() {
  const steps = Number(process.argv[2] ?? 300_000);
  const dataDir = mkdtempSync(join(tmpdir(), 'runlog-sdk-bench-'));
  const server = await startRunlog(dataDir, { RUNLOG_ROLES: 'ingest' });
  try {
    let sink = 0;
    const bare = process.hrtime.bigint();
    for (let step = 0; step < steps; step++) sink += train(step).loss;
    const bareNs = Number(process.hrtime.bigint() - bare);

    const client = new RunlogClient({ baseUrl: server.base, flushOnExit: false });
    const run = await client.startRun({ experimentName: 'sdk-overhead' });
    const logged = process.hrtime.bigint();
    for (let step = 0; step < steps; step++) {
      const metrics = train(step);
      sink += metrics.loss;
      await run.log({ 'train/loss': metrics.loss, 'train/acc': metrics.acc, 'train/lr': metrics.lr }, step);
    }
    const loggedNs = Number(process.hrtime.bigint() - logged);
    const flushStarted = process.hrtime.bigint();
    await run.finish();
    await client.close();
    const flushNs = Number(process.hrtime.bigint() - flushStarted);

    const perStepUs = (loggedNs - bareNs) / steps / 1000;
    console.log(
      JSON.stringify({
        steps,
        points: steps * 3,
        loopWithoutSdkMs: Math.round(bareNs / 1e6),
        loopWithSdkMs: Math.round(loggedNs / 1e6),
        sdkOverheadPerStepUs: Number(perStepUs.toFixed(2)),
        drainAfterLoopMs: Math.round(flushNs / 1e6),
        sink: Math.round(sink),
      }),
    );
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
