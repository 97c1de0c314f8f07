import { hashEnvelope, type EventEnvelope } from '../../events/src/envelope';
import type { LogRecord } from '../../log/src/event-log';
import { leafHash, MerkleAccumulator } from './merkle';
import type { TreeHead } from './checkpoint';

export type BreakReason =
  /** The event's fields do not hash to its stored hash: it was edited after it was written. */
  | 'hash_mismatch'
  /** The event does not link to the one before it in its stream: one was deleted, inserted or moved. */
  | 'prev_hash_mismatch'
  /** The partition's tree at a checkpointed size has another root: the log was rewritten, hashes and all. */
  | 'checkpoint_mismatch'
  /** The partition holds fewer events than a checkpoint counted: events at its end were removed. */
  | 'truncated';

/** Where the history breaks, precisely: in which stream at which position, and what was expected there. */
export interface ChainBreak {
  reason: BreakReason;
  topic: string;
  partition: number;
  /** The record's offset; for `truncated`, the end of the partition as read. */
  offset: number | null;
  stream: string | null;
  /** The workspace the event names (as stored): a reader outside it is shown the break without its details. */
  workspace: string | null;
  /** The event's index in its stream (its version), 0 for the first. */
  position: number | null;
  eventId: string | null;
  expected: string | null;
  found: string | null;
  /** For checkpoint breaks: the tree size the checkpoint signed. */
  treeSize?: number;
  /**
   * For a checkpoint mismatch: the size of the largest checkpoint before it that matched, so the rewrite lies among
   * the leaves from here to `treeSize` (a rewrite whose hashes were recomputed leaves no broken link to point at).
   */
  sinceTreeSize?: number;
}

export interface AuditReport {
  ok: boolean;
  events: number;
  streams: number;
  /** Each partition's tree head as recomputed from its events. */
  heads: TreeHead[];
  /** How many checkpoints were compared with the recomputed trees. */
  checkpointsChecked: number;
  firstBreak: ChainBreak | null;
  /** The first breaks in log order, at most MAX_REPORTED_BREAKS of them; `breakCount` counts them all. */
  breaks: ChainBreak[];
  breakCount: number;
}

export const MAX_REPORTED_BREAKS = 100;

interface StreamHead {
  position: number;
  hash: string;
}

interface PartitionState {
  topic: string;
  partition: number;
  tree: MerkleAccumulator;
  lastOffset: number;
  /** The largest checkpointed size whose root matched. */
  verifiedSize: number;
  /** Checkpointed heads still ahead of the tree, smallest first. */
  pending: TreeHead[];
}

/**
 * Recomputes the log's history as it is read, one record at a time in each partition's order: every stream's hash
 * chain (each event's hash from its fields, each link to the event before it) and every partition's Merkle tree,
 * compared with the signed checkpoints given. Memory is one head per stream and O(log n) per partition.
 */
export class LogAuditor {
  private readonly streams = new Map<string, StreamHead>();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly breaks: ChainBreak[] = [];
  private breakCount = 0;
  private events = 0;
  private checkpointsChecked = 0;

  constructor(private readonly checkpoints: readonly TreeHead[] = []) {}

  accept(record: LogRecord): void {
    const state = this.partitionOf(record.topic, record.partition);
    const event = record.event;
    this.checkChain(record, event);
    state.tree.append(leafHash(event.hash));
    state.lastOffset = record.offset;
    this.events++;
    this.compareCheckpoints(state);
  }

  /** The report once every partition was read to its end. */
  finish(): AuditReport {
    for (const state of this.partitions.values()) {
      for (const head of state.pending) {
        this.checkpointsChecked++;
        this.record({
          reason: 'truncated',
          topic: state.topic,
          partition: state.partition,
          offset: state.lastOffset < 0 ? null : state.lastOffset + 1,
          stream: null,
          workspace: null,
          position: null,
          eventId: null,
          expected: String(head.treeSize),
          found: String(state.tree.size),
          treeSize: head.treeSize,
        });
      }
      state.pending = [];
    }
    const heads = [...this.partitions.values()].map((state) => ({
      topic: state.topic,
      partition: state.partition,
      treeSize: state.tree.size,
      rootHash: state.tree.root().toString('hex'),
    }));
    return {
      ok: this.breakCount === 0,
      events: this.events,
      streams: this.streams.size,
      heads,
      checkpointsChecked: this.checkpointsChecked,
      firstBreak: this.breaks[0] ?? null,
      breaks: [...this.breaks],
      breakCount: this.breakCount,
    };
  }

  /** Starts a partition's tree before its first record, so an empty partition with checkpoints is found cut. */
  partitionOf(topic: string, partition: number): PartitionState {
    const key = `${topic}/${partition}`;
    let state = this.partitions.get(key);
    if (!state) {
      const pending = this.checkpoints
        .filter((head) => head.topic === topic && head.partition === partition)
        .sort((a, b) => a.treeSize - b.treeSize);
      state = { topic, partition, tree: new MerkleAccumulator(), lastOffset: -1, verifiedSize: 0, pending };
      this.partitions.set(key, state);
      this.compareCheckpoints(state);
    }
    return state;
  }

  private checkChain(record: LogRecord, event: EventEnvelope): void {
    const previous = this.streams.get(event.stream);
    const position = previous ? previous.position + 1 : 0;
    const at = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      stream: event.stream,
      workspace: typeof event.workspace === 'string' ? event.workspace : null,
      position,
      eventId: event.id,
    };
    const expectedPrev = previous?.hash ?? null;
    if (event.prevHash !== expectedPrev) {
      this.record({
        ...at,
        reason: 'prev_hash_mismatch',
        expected: expectedPrev,
        found: event.prevHash ?? null,
      });
    }
    const { hash, ...unsealed } = event;
    const recomputed = hashEnvelope(unsealed);
    if (recomputed !== hash)
      this.record({ ...at, reason: 'hash_mismatch', expected: recomputed, found: hash });
    // The chain goes on from the stored hash, so one edit is one break, not a break at every later link.
    this.streams.set(event.stream, { position, hash });
  }

  private compareCheckpoints(state: PartitionState): void {
    while (state.pending.length > 0 && state.pending[0].treeSize <= state.tree.size) {
      const head = state.pending.shift()!;
      this.checkpointsChecked++;
      const root = state.tree.root().toString('hex');
      if (root === head.rootHash) {
        state.verifiedSize = head.treeSize;
      } else {
        this.record({
          reason: 'checkpoint_mismatch',
          topic: state.topic,
          partition: state.partition,
          offset: state.lastOffset < 0 ? null : state.lastOffset,
          stream: null,
          workspace: null,
          position: null,
          eventId: null,
          expected: head.rootHash,
          found: root,
          treeSize: head.treeSize,
          sinceTreeSize: state.verifiedSize,
        });
      }
    }
  }

  private record(found: ChainBreak): void {
    this.breakCount++;
    if (this.breaks.length < MAX_REPORTED_BREAKS) this.breaks.push(found);
  }
}
