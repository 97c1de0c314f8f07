import {
  versionTags,
  type LiveModelState,
  type ModelVersionState,
} from '../../../../libs/domain/src/model/model.state';

/** How a version's files are named: its registered artifact is the model's MLmodel, so the model is its folder. */
export const MLMODEL = 'MLmodel';

/** The folder of a registered MLflow model (the version records its MLmodel file), or the file itself. */
export function modelFolderOf(artifactPath: string): string {
  return artifactPath === MLMODEL
    ? ''
    : artifactPath.endsWith(`/${MLMODEL}`)
      ? artifactPath.slice(0, -MLMODEL.length - 1)
      : artifactPath;
}

const tagList = (tags: Record<string, string>) =>
  Object.keys(tags)
    .sort()
    .map((key) => ({ key, value: tags[key] }));

const aliasesOf = (state: LiveModelState, version: number) =>
  Object.entries(state.aliases)
    .filter(([, holder]) => holder === version)
    .map(([alias]) => alias)
    .sort();

/** When the version last changed: its stage, description or tags (its registration until then). */
export function lastUpdated(version: ModelVersionState): number {
  return Math.max(version.registeredAt, version.stageChangedAt, version.updatedAt ?? 0);
}

export function modelVersionJson(state: LiveModelState, version: ModelVersionState, source: string) {
  return {
    name: state.name,
    version: String(version.version),
    creation_timestamp: version.registeredAt,
    last_updated_timestamp: lastUpdated(version),
    user_id: version.registeredBy,
    current_stage: version.stage,
    description: version.description,
    source,
    run_id: version.runId,
    // Runlog registers a version from content already stored: it is never pending.
    status: 'READY',
    tags: tagList(versionTags(version)),
    aliases: aliasesOf(state, version.version),
  };
}

export function registeredModelJson(state: LiveModelState, sourceOf: (version: ModelVersionState) => string) {
  const versions = Object.values(state.versions).sort((a, b) => a.version - b.version);
  // MLflow's latest_versions: the newest version in each stage.
  const latest = new Map<string, ModelVersionState>();
  for (const version of versions) latest.set(version.stage, version);
  return {
    name: state.name,
    creation_timestamp: state.createdAt,
    last_updated_timestamp: state.updatedAt,
    description: state.description,
    tags: tagList(state.tags),
    aliases: Object.entries(state.aliases)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([alias, version]) => ({ alias, version: String(version) })),
    latest_versions: [...latest.values()].map((version) =>
      modelVersionJson(state, version, sourceOf(version)),
    ),
  };
}
