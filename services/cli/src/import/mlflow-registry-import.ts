import type { ImportWriter } from './import-writer';
import type { SourceModel, SourceModelVersion } from './mlflow-source';

/** Recorded with every promotion an import makes. */
const REASON = 'imported from MLflow';
const STAGES_WITH_ONE_HOLDER = new Set(['Staging', 'Production']);

/** The folder of the run's artifacts a version's source names (`runs:/<run>/<path>`, `…/artifacts/<path>`). */
export function modelFolderOf(version: SourceModelVersion): string | undefined {
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(version.source);
  if (runs) return runs[1] === version.runId ? runs[2].replace(/\/+$/, '') : undefined;
  const marker = '/artifacts/';
  const at = version.source.indexOf(marker);
  if (at < 0 || !version.source.slice(0, at).endsWith(version.runId)) return undefined;
  return version.source.slice(at + marker.length).replace(/\/+$/, '');
}

const modelPath = (name: string, action = '') => `/api/v1/models/${encodeURIComponent(name)}${action}`;

/**
 * MLflow's registry into Runlog's: each model with its description and tags; each version, oldest first, registered
 * from its run's model folder (the version records the folder's MLmodel, as the dialect registers one); then the
 * stages and aliases, as promotions naming the holder they replace. A version whose run is not in Runlog, or whose
 * source is not a run's folder, is refused and named. Versions are numbered by Runlog in order, so an MLflow
 * registry with deleted versions gets its remaining ones renumbered; the promotions follow the new numbers.
 */
export async function importRegistry(
  writer: ImportWriter,
  models: readonly SourceModel[],
  importedRuns: ReadonlySet<string>,
): Promise<void> {
  for (const model of models) {
    const made = await writer.attempt(`model ${model.name}`, () =>
      writer.send('POST', '/api/v1/models', {
        eventId: writer.eventId('model', model.name),
        name: model.name,
        ...(model.description ? { description: model.description } : {}),
        ...(Object.keys(model.tags).length ? { tags: model.tags } : {}),
      }),
    );
    if (!made) continue;
    writer.count('models');
    const numbers = new Map<number, number>();
    for (const version of [...model.versions].sort((a, b) => a.version - b.version)) {
      const what = `model ${model.name} version ${version.version}`;
      const folder = modelFolderOf(version);
      if (folder === undefined || !importedRuns.has(version.runId)) {
        writer.summary.refused.push({
          what,
          why: `its source ${version.source} is not a folder of a run this import brought (run ${version.runId})`,
        });
        continue;
      }
      let answer: { version?: number } = {};
      const registered = await writer.attempt(what, async () => {
        answer = (await writer.send('POST', modelPath(model.name, '/versions'), {
          eventId: writer.eventId('model', model.name, 'version', version.version),
          runId: version.runId,
          artifactPath: folder === '' ? 'MLmodel' : `${folder}/MLmodel`,
          ...(version.description ? { description: version.description } : {}),
        })) as { version?: number };
      });
      if (!registered) continue;
      writer.count('versions');
      // A retried registration answers no number: the versions are numbered in order.
      numbers.set(version.version, answer.version ?? numbers.size + 1);
    }
    await promote(writer, model, numbers);
  }
}

async function promote(
  writer: ImportWriter,
  model: SourceModel,
  numbers: Map<number, number>,
): Promise<void> {
  const holders = new Map<string, number>();
  for (const version of [...model.versions].sort((a, b) => a.version - b.version)) {
    const number = numbers.get(version.version);
    if (number === undefined || version.stage === 'None' || version.stage === '') continue;
    const replaces = STAGES_WITH_ONE_HOLDER.has(version.stage) ? (holders.get(version.stage) ?? null) : null;
    const moved = await writer.attempt(`model ${model.name} version ${version.version} stage`, () =>
      writer.send('POST', modelPath(model.name, `/versions/${number}/stage`), {
        eventId: writer.eventId('model', model.name, 'stage', version.version, version.stage),
        stage: version.stage,
        reason: REASON,
        ...(replaces === null ? {} : { replaces }),
      }),
    );
    if (moved) holders.set(version.stage, number);
  }
  for (const [alias, version] of Object.entries(model.aliases)) {
    const number = numbers.get(version);
    if (number === undefined) continue;
    await writer.attempt(`model ${model.name} alias ${alias}`, () =>
      writer.send('POST', modelPath(model.name, '/aliases'), {
        eventId: writer.eventId('model', model.name, 'alias', alias),
        alias,
        version: number,
        reason: REASON,
      }),
    );
  }
}
