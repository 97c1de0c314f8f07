import { TOPICS } from '../../../../libs/events/src/envelope';
import type { ConsumedBatch } from '../../../../libs/log/src/event-log';
import {
  insertProjectedRows,
  readerFor,
  writerFor,
  type ClickHouse,
  type ClickhouseReader,
  type ClickhouseWriter,
} from '../../../../libs/store/src';
import type { DeadLetterPayload } from '../dead-letters/dead-letter-events';
import { createDeadLettersProjection } from '../dead-letters/dead-letters.projection';
import { createRegistryProjection } from '../registry/registry.projection';
import { createBuildRowsStep, type BuildRowsStep } from '../steps/build-rows.step';
import type { ParseRecordStep } from '../steps/parse-record.step';
import { createProjectBatchPipeline, type BatchCounts } from './project-batch.pipeline';
import { ProjectionState } from './projection-state';

export interface ProjectionsDeps {
  ch: ClickHouse;
  groupId: string;
  maxInsertRows: number;
  runCacheSize: number;
  parseRecord: ParseRecordStep;
  deadLettered(letters: DeadLetterPayload[]): Promise<void>;
  /** Called after a group of records of `topic` landed (the crash tests' hook). */
  afterInsert?(topic: string): void;
}

export interface Projections {
  reader: ClickhouseReader;
  writer: ClickhouseWriter;
  state: ProjectionState;
  buildRows: BuildRowsStep;
  /** One consumed batch of any subscribed topic into its tables. */
  project(batch: ConsumedBatch): Promise<BatchCounts>;
}

const NO_COUNTS: BatchCounts = { groups: 0, records: 0, points: 0, deadLetters: 0 };

/**
 * Every projection of the log into one database: the lifecycle and metrics pipeline, the registry, the dead
 * letters. The live projector builds it on the store; a replay builds a second one on a fresh database.
 */
export function createProjections(deps: ProjectionsDeps): Projections {
  const reader = readerFor(deps.ch);
  const writer = writerFor(deps.ch);
  const state = new ProjectionState(reader, deps.runCacheSize);
  const buildRows = createBuildRowsStep(state);
  const pipeline = createProjectBatchPipeline(
    { maxInsertRows: deps.maxInsertRows },
    {
      parseRecord: deps.parseRecord,
      buildRows,
      state,
      insert: (table, rows) => insertProjectedRows(writer, table, rows),
      ping: async () => (await deps.ch.client.ping().catch(() => ({ success: false }))).success,
      deadLettered: deps.deadLettered,
      afterInsert: deps.afterInsert ?? (() => undefined),
    },
  );
  const deadLetters = createDeadLettersProjection({ writer, groupId: deps.groupId });
  const registry = createRegistryProjection({
    reader,
    writer,
    parseRecord: deps.parseRecord,
    deadLettered: deps.deadLettered,
  });
  return {
    reader,
    writer,
    state,
    buildRows,
    async project(batch) {
      if (batch.topic === TOPICS.deadletter) {
        await deadLetters(batch);
        return NO_COUNTS;
      }
      if (batch.topic === TOPICS.registry) {
        const counts = await registry(batch);
        return { ...NO_COUNTS, groups: 1, ...counts };
      }
      return pipeline(batch);
    },
  };
}
