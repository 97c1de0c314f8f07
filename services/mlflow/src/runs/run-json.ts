import type { InputView, LoggedPoint, ParamView, RunView, TagView } from '../../../../libs/store/src';
import { jsonDouble } from '../protocol/mlflow-fields';
import { datasetInputJson, isModelInput } from './dataset-inputs';

/** Runlog's run statuses as MLflow's RunStatus (a stale run has not said it stopped: still RUNNING there). */
const STATUS: Record<string, string> = {
  queued: 'SCHEDULED',
  running: 'RUNNING',
  stale: 'RUNNING',
  finished: 'FINISHED',
  failed: 'FAILED',
  killed: 'KILLED',
};

export const RUN_NAME_TAG = 'mlflow.runName';
export const PARENT_RUN_TAG = 'mlflow.parentRunId';
export const USER_TAG = 'mlflow.user';

export const runArtifactUri = (experimentId: string, runId: string) =>
  `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;

/** What a run reads as besides its snapshot: its params, tags, latest metric points and inputs. */
export interface RunParts {
  params: readonly ParamView[];
  tags: readonly TagView[];
  metrics: readonly (LoggedPoint & { key: string })[];
  inputs: readonly InputView[];
}

export function runInfoJson(run: RunView, tags: readonly TagView[]) {
  const user = run.context?.user ?? tags.find((tag) => tag.key === USER_TAG)?.value ?? '';
  return {
    run_id: run.runId,
    run_uuid: run.runId,
    run_name: run.name,
    experiment_id: run.experimentId,
    user_id: user,
    status: STATUS[run.status] ?? 'RUNNING',
    start_time: run.startTime,
    ...(run.endTime === null ? {} : { end_time: run.endTime }),
    artifact_uri: runArtifactUri(run.experimentId, run.runId),
    lifecycle_stage: run.deleted ? 'deleted' : 'active',
  };
}

/** MLflow's server adds the run's name (and its parent) as tags; Runlog keeps them as attributes. */
function tagsWithAttributes(run: RunView, tags: readonly TagView[]): TagView[] {
  const all = [...tags];
  const has = (key: string) => all.some((tag) => tag.key === key);
  if (!has(RUN_NAME_TAG) && run.name) all.push({ key: RUN_NAME_TAG, value: run.name });
  if (!has(PARENT_RUN_TAG) && run.parentRunId) all.push({ key: PARENT_RUN_TAG, value: run.parentRunId });
  return all;
}

export function runJson(run: RunView, parts: RunParts) {
  const tags = tagsWithAttributes(run, parts.tags);
  return {
    info: runInfoJson(run, tags),
    data: {
      metrics: parts.metrics.map((point) => metricJson(point.key, point)),
      params: parts.params.map(({ key, value }) => ({ key, value })),
      tags: tags.map(({ key, value }) => ({ key, value })),
    },
    inputs: {
      dataset_inputs: parts.inputs.filter((input) => !isModelInput(input)).map(datasetInputJson),
      model_inputs: parts.inputs.filter(isModelInput).map((input) => ({ model_id: input.digest })),
    },
    outputs: {} as { model_outputs?: { model_id: string; step: number }[] },
  };
}

export function metricJson(key: string, point: LoggedPoint) {
  return { key, value: jsonDouble(point.value), timestamp: point.timestamp, step: point.step };
}
