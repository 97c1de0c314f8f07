import {
  deletedVersionsOf,
  evolveModel,
  initialModelState,
  type LiveModelState,
  type ModelState,
} from '../../../../libs/domain/src/model/model.state';
import type { ModelEvent } from '../../../../libs/events/src/model-registry.events';
import type { DomainEvent, StoredEvent } from '../../../../libs/events/src/run.events';
import type { ConsumedBatch, LogRecord } from '../../../../libs/log/src/event-log';
import {
  formatModelVersionRow,
  formatRegisteredModelRow,
  getProjectionWatermarks,
  getRegisteredModelSnapshots,
  insertEvents,
  insertModelVersions,
  insertRegisteredModels,
  type ClickhouseReader,
  type ClickhouseWriter,
  type LogPosition,
} from '../../../../libs/store/src';
import type { DeadLetterPayload } from '../dead-letters/dead-letter-events';
import { letterFor } from '../pipeline/project-batch.pipeline';
import { eventLineOf } from '../rows/event-rows';
import type { ParseRecordStep } from '../steps/parse-record.step';

export const REGISTRY_TABLES = ['events', 'registered_models', 'model_versions'] as const;

export interface RegistryProjectionDeps {
  reader: ClickhouseReader;
  writer: ClickhouseWriter;
  parseRecord: ParseRecordStep;
  deadLettered(letters: DeadLetterPayload[]): Promise<void>;
}

interface Touched {
  state: ModelState;
  workspace: string;
  position: LogPosition;
}

const MODEL_STREAM = 'model:';

/**
 * runlog.registry → the events table (every record, name claims included) and each model's folded state
 * (registered_models, model_versions). A model's state is evolved from the row it last wrote, skipping the events
 * at or below that row's offset, so a batch delivered again after a crash changes nothing; the events table is
 * guarded by its watermark, as on the other topics. A record that cannot be read is dead-lettered, never retried.
 */
export function createRegistryProjection(deps: RegistryProjectionDeps) {
  return async function projectRegistry(
    batch: ConsumedBatch,
  ): Promise<{ records: number; deadLetters: number }> {
    const marks = await getProjectionWatermarks(deps.reader, 'events', batch.topic);
    const eventsMark = marks.get(batch.partition) ?? -1;
    const eventLines: string[] = [];
    const modelEvents: { record: LogRecord; event: StoredEvent }[] = [];
    const letters: DeadLetterPayload[] = [];
    for (const record of batch.records) {
      const parsed = deps.parseRecord({ record });
      if (parsed.kind !== 'ok') {
        const error = parsed.kind === 'dlq' ? parsed.error : parsed.reason;
        letters.push(letter(record, parsed.reason, 'parse', error));
        continue;
      }
      const { event } = parsed.value;
      try {
        const line = eventLineOf(event, record.event, record);
        if (record.offset > eventsMark) eventLines.push(line);
      } catch (error) {
        letters.push(letter(record, 'unstorable_value', 'build_rows', error));
        continue;
      }
      if (event.stream.startsWith(MODEL_STREAM) && event.type.startsWith('model.')) {
        modelEvents.push({ record, event });
      }
    }
    if (letters.length > 0) await deps.deadLettered(letters);
    await insertEvents(deps.writer, eventLines);
    const touched = await foldModels(deps.reader, modelEvents);
    const modelLines: string[] = [];
    const versionLines: string[] = [];
    for (const { state, workspace, position } of touched.values()) {
      if (state.status === 'absent') continue;
      modelLines.push(modelRow(state, workspace, position));
      versionLines.push(...versionRows(state, workspace, position));
    }
    await insertModelVersions(deps.writer, versionLines);
    // Last: its offset is what says the model's events are folded.
    await insertRegisteredModels(deps.writer, modelLines);
    return { records: batch.records.length, deadLetters: letters.length };
  };
}

async function foldModels(
  reader: ClickhouseReader,
  modelEvents: readonly { record: LogRecord; event: StoredEvent }[],
): Promise<Map<string, Touched>> {
  const modelIds = [...new Set(modelEvents.map(({ event }) => event.stream.slice(MODEL_STREAM.length)))];
  const snapshots = await getRegisteredModelSnapshots(reader, modelIds);
  const touched = new Map<string, Touched>();
  for (const { record, event } of modelEvents) {
    const modelId = event.stream.slice(MODEL_STREAM.length);
    const snapshot = snapshots.get(modelId);
    if (snapshot && record.offset <= snapshot.offset) continue;
    const before =
      touched.get(modelId)?.state ??
      (snapshot ? (JSON.parse(snapshot.stateJson) as ModelState) : initialModelState);
    const state = evolveModel(before, event as DomainEvent<ModelEvent>, {
      actor: event.actor,
      at: Date.parse(event.recordedAt),
    });
    touched.set(modelId, { state, workspace: event.workspace, position: record });
  }
  return touched;
}

function modelRow(state: LiveModelState, workspace: string, position: LogPosition): string {
  return formatRegisteredModelRow({
    workspace,
    modelId: state.modelId,
    name: state.name,
    status: state.status,
    stateJson: JSON.stringify(state),
    updatedAt: state.updatedAt,
    position: { topic: position.topic, partition: position.partition, offset: position.offset },
  });
}

function versionRows(state: LiveModelState, workspace: string, position: LogPosition): string[] {
  const aliasesOf = new Map<number, string[]>();
  for (const [alias, version] of Object.entries(state.aliases)) {
    aliasesOf.set(version, [...(aliasesOf.get(version) ?? []), alias]);
  }
  const rows = [
    ...Object.values(state.versions).map((version) => ({ version, versionStatus: 'active' as const })),
    ...Object.values(deletedVersionsOf(state)).map((version) => ({
      version,
      versionStatus: 'deleted' as const,
    })),
  ];
  return rows.map(({ version, versionStatus }) =>
    formatModelVersionRow({
      workspace,
      modelId: state.modelId,
      modelName: state.name,
      modelStatus: state.status,
      versionStatus,
      version: version.version,
      runId: version.runId,
      artifactPath: version.artifactPath,
      sha256: version.sha256,
      stage: version.stage,
      aliases: (aliasesOf.get(version.version) ?? []).sort(),
      registeredAt: version.registeredAt,
      registeredBy: version.registeredBy,
      position: { topic: position.topic, partition: position.partition, offset: position.offset },
    }),
  );
}

function letter(record: LogRecord, reason: string, step: string, error: unknown): DeadLetterPayload {
  return letterFor(record, { reason, step, tables: REGISTRY_TABLES, error }, () => true);
}
