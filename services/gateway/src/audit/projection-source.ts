import type { ProjectionSource } from '../../../../libs/audit/src';
import type { EventLog } from '../../../../libs/log/src/event-log';
import { getEventRowsPage, listDeadLetters, type ClickhouseReader } from '../../../../libs/store/src';

/** Dead letters read at once: more open ones than this is an outage for the operator, not an audit. */
const MAX_DEAD_LETTERS = 100_000;

/** The store's side of auditProjection: events-table rows, open dead letters, the projection group's positions. */
export function projectionSource(reader: ClickhouseReader, log: EventLog, groupId: string): ProjectionSource {
  let openLetters: Promise<{ topic: string; partition: number; offset: number; tables: string[] }[]> | null =
    null;
  return {
    rows: (at) => getEventRowsPage(reader, at),
    async deadLettered(topic, partition) {
      openLetters ??= listDeadLetters(reader, 'open', MAX_DEAD_LETTERS);
      const letters = await openLetters;
      return new Set(
        letters
          .filter((l) => l.topic === topic && l.partition === partition && l.tables.includes('events'))
          .map((l) => l.offset),
      );
    },
    projectedUpTo: (topic) => log.committedOffsets(groupId, topic),
  };
}
