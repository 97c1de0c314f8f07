import type { ImportedPoint } from './import-writer';

/** An experiment of an MLflow source (a file store's folder or a tracking server). */
export interface SourceExperiment {
  id: string;
  name: string;
  deleted: boolean;
}

/** A run of an MLflow source, with what is read in one go (params and tags are few). */
export interface SourceRun {
  id: string;
  experimentId: string;
  name: string;
  /** MLflow's RunStatus: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED. */
  status: string;
  startTime: number | null;
  endTime: number | null;
  deleted: boolean;
  userId: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metricKeys: string[];
}

/** A file of a run's artifacts, on this machine (a server's are downloaded first). */
export interface SourceArtifact {
  path: string;
  file: string;
}

/**
 * What `runlog import mlflow` reads, from a folder or a server alike. Runs are read one experiment at a time and
 * artifacts one run at a time, so an import holds one run's files at most.
 */
export interface MlflowSource {
  experiments(): Promise<SourceExperiment[]>;
  runs(experiment: SourceExperiment): Promise<SourceRun[]>;
  points(run: SourceRun, key: string): AsyncIterable<ImportedPoint>;
  /** The run's files, and a release once they are imported (a server's downloads are deleted then). */
  artifacts(run: SourceRun): Promise<{ files: SourceArtifact[]; release(): Promise<void> }>;
  /** The model registry: registered models with their versions, oldest version first. */
  registeredModels(): Promise<SourceModel[]>;
  close(): Promise<void>;
}

export interface SourceModelVersion {
  version: number;
  runId: string;
  /** Where MLflow says the model is: `runs:/<run>/<path>`, or a URI with `/artifacts/<path>` in it. */
  source: string;
  /** None, Staging, Production or Archived. */
  stage: string;
  description: string;
}

export interface SourceModel {
  name: string;
  description: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  versions: SourceModelVersion[];
}

/** MLflow's RunStatus numbers, as a file store writes them. */
export const RUN_STATUS_NAMES: Record<number, string> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};
