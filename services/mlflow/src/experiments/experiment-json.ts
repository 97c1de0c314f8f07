import type { ExperimentView } from '../../../../libs/store/src';

/** MLflow's default experiment: where a run goes when the client names none. */
export const DEFAULT_EXPERIMENT = { id: '0', name: 'Default' } as const;

/** Runs' artifacts live in Runlog's store; MLflow's clients reach them through the artifact proxy under this root. */
export const experimentArtifactLocation = (experimentId: string) => `mlflow-artifacts:/${experimentId}`;

export function experimentJson(experiment: ExperimentView) {
  return {
    experiment_id: experiment.experimentId,
    name: experiment.name,
    artifact_location: experimentArtifactLocation(experiment.experimentId),
    lifecycle_stage: experiment.archived ? 'deleted' : 'active',
    creation_time: experiment.createdAt,
    last_update_time: experiment.createdAt,
    tags: Object.entries(experiment.tags)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
}
