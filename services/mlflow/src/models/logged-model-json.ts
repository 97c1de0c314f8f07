import type { LoggedPoint, ParamView, RunView, TagView } from '../../../../libs/store/src';
import { metricJson, runArtifactUri } from '../runs/run-json';

/** The tag that makes a Runlog run an MLflow 3 logged model (see logged-models.endpoints.ts). */
export const LOGGED_MODEL_TAG = 'runlog.loggedModel';
export const MODEL_TYPE_TAG = 'runlog.modelType';
/** The step at which the source run output the model (runs/outputs). */
export const OUTPUT_STEP_TAG = 'runlog.outputStep';
const HIDDEN = new Set([LOGGED_MODEL_TAG, MODEL_TYPE_TAG, OUTPUT_STEP_TAG]);

const STATUS: Record<string, string> = {
  running: 'LOGGED_MODEL_PENDING',
  stale: 'LOGGED_MODEL_PENDING',
  queued: 'LOGGED_MODEL_PENDING',
  finished: 'LOGGED_MODEL_READY',
  failed: 'LOGGED_MODEL_UPLOAD_FAILED',
  killed: 'LOGGED_MODEL_UPLOAD_FAILED',
};

export const isLoggedModel = (tags: readonly TagView[]) =>
  tags.some((tag) => tag.key === LOGGED_MODEL_TAG && tag.value === 'true');

export function loggedModelJson(
  run: RunView,
  parts: {
    params: readonly ParamView[];
    tags: readonly TagView[];
    metrics: readonly (LoggedPoint & { key: string })[];
  },
) {
  const modelType = parts.tags.find((tag) => tag.key === MODEL_TYPE_TAG)?.value;
  return {
    info: {
      model_id: run.runId,
      experiment_id: run.experimentId,
      name: run.name,
      creation_timestamp_ms: run.createdAt,
      last_updated_timestamp_ms: run.endTime ?? run.createdAt,
      artifact_uri: runArtifactUri(run.experimentId, run.runId),
      status: STATUS[run.status] ?? 'LOGGED_MODEL_PENDING',
      ...(modelType ? { model_type: modelType } : {}),
      ...(run.parentRunId ? { source_run_id: run.parentRunId } : {}),
      tags: parts.tags.filter((tag) => !HIDDEN.has(tag.key)).map(({ key, value }) => ({ key, value })),
    },
    data: {
      params: parts.params.map(({ key, value }) => ({ key, value })),
      metrics: parts.metrics.map((point) => ({ ...metricJson(point.key, point), model_id: run.runId })),
    },
  };
}
