import { gql, post, waitForProjection } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/**
 * sweepSummary over GraphQL: a row per run with params and the chosen metrics in order, and each numeric param's
 * Spearman correlation with the objective, checked against the textbook formula (1 − 6Σd² / n(n² − 1), exact when
 * nothing ties) computed here.
 */
const RUNS = 12;

/** Spearman without ties, the textbook way: ranks by sorting, then the formula over rank differences. */
function textbookSpearman(xs: number[], ys: number[]): number {
  const rank = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return values.map((value) => sorted.indexOf(value) + 1);
  };
  const [rx, ry] = [rank(xs), rank(ys)];
  const n = xs.length;
  const d2 = rx.reduce((sum, r, i) => sum + (r - ry[i]) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
}

describe('sweepSummary', () => {
  const runlog = useRunlog();

  it("lists the sweep's runs with params and metrics, and ranks the params by how they go with the objective", async () => {
    const experiment = await post<{ experimentId: string }>(runlog.base, '/api/v1/experiments', {
      name: 'sweep-summary',
    });
    const experimentId = experiment.body.experimentId;
    const sweep = await post<{ sweepId: string }>(runlog.base, '/api/v1/sweeps', {
      experimentId,
      name: 'lr-sweep',
      method: 'random',
      searchSpace: { lr: { min: 0.0001, max: 0.1 }, seed: { values: [1, 2, 3] } },
      objective: { metric: 'val/loss', goal: 'minimize' },
    });
    expect(sweep.status).toBe(201);
    const { sweepId } = sweep.body;
    const planned: { runId: string; lr: number; seed: number; loss: number; acc: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const lr = 0.001 * (i + 1);
      const seed = (i * 7) % RUNS; // distinct, shuffled
      const loss = 1 / (1 + 100 * lr) + seed * 1e-4; // falls with lr: a strong negative correlation
      const acc = ((i * 5) % RUNS) / RUNS;
      const { body } = await post<{ runId: string }>(runlog.base, '/api/v1/runs', {
        experimentId,
        sweepId,
        name: `trial-${i}`,
      });
      await post(runlog.base, `/api/v1/runs/${body.runId}/params`, {
        params: { lr: String(lr), seed: String(seed), batch: '64', optimizer: i % 2 ? 'adam' : 'sgd' },
      });
      // A run without the objective is listed, and left out of the correlations.
      const metrics = [{ key: 'acc', steps: [0, 1], values: [0, acc] }];
      if (i !== 5) metrics.push({ key: 'val/loss', steps: [0, 1], values: [2, loss] });
      await post(runlog.base, `/api/v1/runs/${body.runId}/metrics`, { metrics });
      planned.push({ runId: body.runId, lr, seed, loss, acc });
    }
    // A run of the same experiment outside the sweep is not part of it.
    await post(runlog.base, '/api/v1/runs', { experimentId, name: 'outside' });
    await waitForProjection(runlog.base);

    const { sweepSummary } = await gql<{
      sweepSummary: {
        objective: string;
        goal: string;
        rows: {
          run: { id: string };
          params: { key: string; value: string }[];
          metrics: { key: string; value: number | null }[];
        }[];
        importance: { key: string; spearman: number | null; runs: number }[];
      };
    }>(
      runlog.base,
      `query ($sweepId: ID!) { sweepSummary(sweepId: $sweepId, metrics: ["val/loss", "acc", "missing"]) {
        objective goal rows { run { id } params { key value } metrics { key value } } importance { key spearman runs } } }`,
      { sweepId },
    );
    expect(sweepSummary.objective).toBe('val/loss');
    expect(sweepSummary.goal).toBe('minimize');
    expect(sweepSummary.rows.map((row) => row.run.id).sort()).toEqual(planned.map((run) => run.runId).sort());
    for (const row of sweepSummary.rows) {
      const run = planned.find((candidate) => candidate.runId === row.run.id)!;
      expect(row.metrics.map((m) => m.key)).toEqual(['val/loss', 'acc', 'missing']);
      expect(row.metrics[0].value).toBe(run === planned[5] ? null : run.loss);
      expect(row.metrics[1].value).toBe(run.acc);
      expect(row.metrics[2].value).toBeNull();
      expect(row.params.find((p) => p.key === 'lr')?.value).toBe(String(run.lr));
    }
    const withObjective = planned.filter((_, i) => i !== 5);
    const expected = (key: 'lr' | 'seed') =>
      textbookSpearman(
        withObjective.map((run) => run[key]),
        withObjective.map((run) => run.loss),
      );
    const byKey = Object.fromEntries(sweepSummary.importance.map((entry) => [entry.key, entry]));
    expect(byKey.lr.spearman).toBeCloseTo(expected('lr'), 12);
    expect(byKey.lr.spearman).toBeCloseTo(-1, 12);
    expect(byKey.seed.spearman).toBeCloseTo(expected('seed'), 12);
    expect(byKey.lr.runs).toBe(RUNS - 1);
    expect(byKey.batch).toEqual({ key: 'batch', spearman: null, runs: RUNS - 1 });
    expect(byKey.optimizer).toBeUndefined();
    expect(sweepSummary.importance[0].key).toBe('lr');

    const { sweepSummary: byAcc } = await gql<{ sweepSummary: { objective: string; goal: string | null } }>(
      runlog.base,
      `query ($sweepId: ID!) { sweepSummary(sweepId: $sweepId, metrics: [], objective: "acc") { objective goal } }`,
      { sweepId },
    );
    expect(byAcc).toEqual({ objective: 'acc', goal: null });
  });
});
