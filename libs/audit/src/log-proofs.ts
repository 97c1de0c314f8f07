import type { EventLog, LogRecord } from '../../log/src/event-log';
import { consistencyProofRanges, inclusionProofRanges, leafHash, RangeRoots } from './merkle';

type ReadableLog = Pick<EventLog, 'read' | 'endOffsets'>;

const BATCH = 2_000;

/** Calls `visit` with a partition's records in order, leaf index by leaf index, until it returns false. */
async function forEachLeaf(
  log: ReadableLog,
  topic: string,
  partition: number,
  visit: (record: LogRecord, leafIndex: number) => boolean,
): Promise<void> {
  const end = (await log.endOffsets(topic)).get(partition) ?? 0;
  let leafIndex = 0;
  for (let next = 0; next < end;) {
    const records = await log.read(topic, partition, next, BATCH);
    if (records.length === 0) return;
    for (const record of records) {
      if (!visit(record, leafIndex++)) return;
    }
    next = records[records.length - 1].offset + 1;
  }
}

/** Hex roots of the ranges, from one read of the partition's first leaves. */
async function rangeRoots(
  log: ReadableLog,
  topic: string,
  partition: number,
  roots: RangeRoots,
): Promise<string[]> {
  const needed = roots.needed;
  if (needed > 0) {
    await forEachLeaf(log, topic, partition, (record, index) => {
      roots.add(leafHash(record.event.hash));
      return index + 1 < needed;
    });
  }
  return roots.roots().map((root) => root.toString('hex'));
}

export interface InclusionAnswer {
  leafIndex: number;
  eventHash: string;
  path: string[];
}

/**
 * The audit path of the event at `offset` in the partition's tree of `treeSize` leaves, computed from the log in two
 * reads of the partition (where the event is, then the path's subtrees) in bounded memory.
 */
export async function proveInclusion(
  log: ReadableLog,
  at: { topic: string; partition: number; offset: number },
  treeSize: number,
): Promise<InclusionAnswer> {
  let found: { leafIndex: number; eventHash: string } | null = null;
  await forEachLeaf(log, at.topic, at.partition, (record, leafIndex) => {
    if (record.offset === at.offset) found = { leafIndex, eventHash: record.event.hash };
    return record.offset < at.offset && leafIndex + 1 < treeSize;
  });
  const located = found as { leafIndex: number; eventHash: string } | null;
  if (!located)
    throw new RangeError(
      `no event at ${at.topic}/${at.partition} offset ${at.offset} in a tree of ${treeSize}`,
    );
  const path = await rangeRoots(
    log,
    at.topic,
    at.partition,
    new RangeRoots(inclusionProofRanges(located.leafIndex, treeSize)),
  );
  return { ...located, path };
}

/** The proof that the partition's tree of `oldSize` leaves is a prefix of its tree of `newSize`, from the log. */
export function proveConsistency(
  log: ReadableLog,
  at: { topic: string; partition: number },
  oldSize: number,
  newSize: number,
): Promise<string[]> {
  return rangeRoots(log, at.topic, at.partition, new RangeRoots(consistencyProofRanges(oldSize, newSize)));
}
