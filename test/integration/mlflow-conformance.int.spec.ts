import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { gql } from '../support/runlog-client';
import { runMlflowScript } from '../support/mlflow-python';
import { useRunlog } from '../support/runlog-process';

interface Answer {
  first_model_experiment: string;
  experiment_tags: Record<string, string>;
  missing_tag_delete: { code: string; message: string };
  archived_tag: { code: string; message: string };
  restored_tags: Record<string, string>;
  searched_by_tag: string[];
  searched_by_spaced_tag: string[];
  unknown_run_tag_delete: { code: string; message: string };
  missing_tag_delete_run: { code: string; message: string };
  run_tags_after_delete: string[];
  batch_missing_timestamp: [number, string];
  bulk: [boolean, number, number][];
  interval: [boolean, number][];
  interval_ranged: number[];
  interval_refused: [number, string];
  tied: boolean;
  crowded: number;
  orphan: [string, string];
  datasets: Record<string, string>[];
  model_tags: Record<string, string>;
  deleted_model: { code: string; message: string } | null;
  experiment_id: string;
}

/**
 * What MLflow's own REST tests (tests/tracking/test_rest_tracking.py, run against Runlog: docs/design/mlflow.md)
 * found the dialect lacking, each checked through the unchanged client on a server of its own (fresh, so a logged
 * model can be the first thing written).
 */
describe('MLflow dialect, against what MLflow’s REST tests expect', () => {
  const runlog = useRunlog();

  it('serves experiment tags, bulk histories, MLflow’s errors and orders, and logged-model deletes', async () => {
    const experiment = `conformance-${randomBytes(4).toString('hex')}`;
    const read = await runMlflowScript<Answer>(
      join(__dirname, 'mlflow', 'client_conformance.py'),
      runlog.base,
      {
        experiment,
      },
    );
    expect(read.first_model_experiment).toBe('0');

    expect(read.experiment_tags).toEqual({ 'data set': 'in-1k', stage: 'dev', empty: '' });
    expect(read.missing_tag_delete).toEqual({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining(`No tag with name: nope in experiment with id ${read.experiment_id}`),
    });
    expect(read.searched_by_tag).toEqual([read.experiment_id]);
    expect(read.archived_tag).toEqual({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/archived: restore it to change its tags/),
    });
    expect(read.restored_tags).toEqual({ kept: 'again' });
    expect(read.searched_by_spaced_tag).toEqual([read.experiment_id]);

    expect(read.unknown_run_tag_delete).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    expect(read.unknown_run_tag_delete.message).toMatch(/Run .+ not found/);
    expect(read.missing_tag_delete_run.message).toMatch(/No tag with name: fakeTag/);
    expect(read.run_tags_after_delete).toEqual([]);
    expect(read.batch_missing_timestamp[0]).toBe(400);
    expect(read.batch_missing_timestamp[1]).toContain(
      "Missing value for required parameter 'metrics[0].timestamp'",
    );

    // Every point of the key by run, then step, cut at max_results (15 of 30).
    const ids = (second: boolean, steps: number[]) => steps.map((step) => [second, step, 10 + step]);
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    // Runs in id order: the first run (10 steps) may sort before or after the second (20 steps).
    expect(read.bulk).toEqual(
      read.bulk[0][0] ? ids(true, range(15)) : [...ids(false, range(10)), ...ids(true, range(5))],
    );
    // MLflow's sample over both runs' 20 steps, 5 wanted: every 4th step, plus every run's last (9 and 19), one
    // set of steps for both runs.
    expect(read.interval).toEqual([
      ...[0, 4, 8, 9].map((step) => [false, step]),
      ...[0, 4, 8, 9, 12, 16, 19].map((step) => [true, step]),
    ]);
    expect(read.interval_ranged).toEqual([0, 1, 2, 3, 4]);
    // 1,000 points at step 0, 5 asked: a page of them (2 × 5 + 100), not all.
    expect(read.crowded).toBe(110);
    expect(read.interval_refused).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(read.tied).toBe(true);
    expect(read.datasets).toEqual([
      { experiment_id: read.experiment_id, name: 'name1', digest: 'digest1', context: 'training' },
    ]);

    expect(read.model_tags).toMatchObject({ b: '2' });
    expect(read.model_tags).not.toHaveProperty('a');
    expect(read.deleted_model).toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });

    // A parent tag naming no run is kept as a tag, as MLflow keeps it; the run has no parent.
    expect(read.orphan[1]).toBe('no-such-run');
    const { run: orphan } = await gql<{ run: { parentRunId: string | null } }>(
      runlog.base,
      'query($id: ID!) { run(id: $id) { parentRunId } }',
      { id: read.orphan[0] },
    );
    expect(orphan).toEqual({ parentRunId: null });

    // The experiment's tags are Runlog's too.
    const { experiment: viaGraphql } = await gql<{ experiment: { name: string; tags: unknown[] } }>(
      runlog.base,
      'query($id: ID!) { experiment(id: $id) { name tags { key value } } }',
      { id: read.experiment_id },
    );
    expect(viaGraphql).toEqual({
      name: experiment,
      tags: [
        { key: 'data set', value: 'in-1k' },
        { key: 'empty', value: '' },
        { key: 'stage', value: 'dev' },
      ],
    });
  }, 300_000);
});
