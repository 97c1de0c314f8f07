import type { RunState } from '../../../../libs/domain/src/run/run.decider';
import type { RunView } from '../../../../libs/store/src';

/**
 * Params, tags, inputs and artifacts live in their own tables; a run's row needs only the snapshot fields, which
 * the runs table holds in full.
 */
export function runStateFromView(view: RunView): RunState {
  const base = {
    runId: view.runId,
    experimentId: view.experimentId,
    name: view.name,
    createdAt: view.createdAt,
    startTime: view.started ? view.startTime : null,
    sweepId: view.sweepId,
    parentRunId: view.parentRunId,
    deleted: view.deleted,
    note: view.note,
    context: view.context,
    params: {},
    tags: {},
    artifacts: {},
    inputs: [],
  };
  if (view.status === 'queued' || view.status === 'running' || view.status === 'stale') {
    return { ...base, status: view.status };
  }
  return {
    ...base,
    status: view.status as 'finished' | 'failed' | 'killed',
    endTime: view.endTime ?? view.startTime,
    failureReason: view.failureReason,
    stackTrace: view.stackTrace,
  };
}
