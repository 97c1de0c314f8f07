import { createPublicKey, type KeyObject } from 'node:crypto';
import type { ArtifactStore } from '../../artifacts/src/artifact-store';
import { TOPICS } from '../../events/src/envelope';
import type { EventLog } from '../../log/src/event-log';
import { signTreeHead, signingKeyId, type Checkpoint } from './checkpoint';
import { checkpointKey, readStoredCheckpoint } from './checkpoint-store';
import { leafHash, MerkleAccumulator } from './merkle';

/**
 * The topics kept forever, which are checkpointed. A topic whose oldest records may expire (metrics under a retention,
 * dead letters) cannot be: its tree would restart from whatever is still kept.
 */
export const CHECKPOINTED_TOPICS: readonly string[] = [TOPICS.lifecycle, TOPICS.registry, TOPICS.access];

interface PartitionTree {
  tree: MerkleAccumulator;
  /** The next offset to read. */
  next: number;
  signedSize: number;
  /** The latest checkpoint stored before this writer started, which the tree must reproduce at its size. */
  stored: { treeSize: number; rootHash: string } | null;
  /** Why this partition is no longer signed: its log no longer reproduces a checkpoint already signed. */
  diverged: string | null;
}

const BATCH = 2_000;

/**
 * Keeps every checkpointed partition's Merkle tree up to date by reading what was appended since the last tick, and
 * signs the head of each partition that grew into the artifact store. Memory: O(log n) per partition. A new writer
 * reads the log from the start once, and checks on the way that it reproduces the latest checkpoint already stored:
 * a log rewritten in between is never signed over (the partition is reported diverged), and a stored checkpoint is
 * never replaced.
 */
export class CheckpointWriter {
  private readonly trees = new Map<string, PartitionTree>();

  constructor(
    private readonly log: Pick<EventLog, 'read' | 'endOffsets'>,
    private readonly store: Pick<ArtifactStore, 'putRecord' | 'getRecord' | 'listRecords'>,
    private readonly key: KeyObject,
    private readonly clock: () => Date = () => new Date(),
    private readonly topics: readonly string[] = CHECKPOINTED_TOPICS,
  ) {}

  /** Partitions no longer signed, and why. */
  divergences(): string[] {
    return [...this.trees.entries()].flatMap(([name, state]) =>
      state.diverged ? [`${name}: ${state.diverged}`] : [],
    );
  }

  /** Reads up to the current end of every partition and signs those that grew. Not re-entrant: await it. */
  async tick(): Promise<Checkpoint[]> {
    const written: Checkpoint[] = [];
    for (const topic of this.topics) {
      for (const [partition, end] of [...(await this.log.endOffsets(topic))].sort(([a], [b]) => a - b)) {
        const state = await this.partitionTree(topic, partition);
        if (state.diverged) continue;
        await this.catchUp(end, topic, partition, state);
        if (state.diverged || state.tree.size === state.signedSize) continue;
        if (state.stored && state.tree.size <= state.stored.treeSize) continue;
        const checkpoint = signTreeHead(
          { topic, partition, treeSize: state.tree.size, rootHash: state.tree.root().toString('hex') },
          this.key,
          this.clock(),
        );
        const key = checkpointKey(checkpoint.body);
        if ((await this.store.getRecord(key)) === null) {
          await this.store.putRecord(key, Buffer.from(JSON.stringify(checkpoint)));
          written.push(checkpoint);
        }
        state.signedSize = state.tree.size;
      }
    }
    return written;
  }

  private async partitionTree(topic: string, partition: number): Promise<PartitionTree> {
    const name = `${topic}/${partition}`;
    let state = this.trees.get(name);
    if (!state) {
      state = {
        tree: new MerkleAccumulator(),
        next: 0,
        signedSize: 0,
        stored: await this.latestStored(topic, partition),
        diverged: null,
      };
      this.trees.set(name, state);
    }
    return state;
  }

  /** The latest checkpoint of the partition signed with this key, or null. */
  private async latestStored(topic: string, partition: number): Promise<PartitionTree['stored']> {
    const keys = await this.store.listRecords(`checkpoints/${topic}/${partition}/`);
    const publicKey = createPublicKey(this.key);
    const keyId = signingKeyId(publicKey);
    for (const key of keys.reverse()) {
      const bytes = await this.store.getRecord(key);
      // One that does not verify is the audit's to report; the writer looks further back.
      const head = bytes && readStoredCheckpoint(bytes, publicKey, keyId, key);
      if (head && typeof head !== 'string') return { treeSize: head.treeSize, rootHash: head.rootHash };
    }
    return null;
  }

  private async catchUp(end: number, topic: string, partition: number, state: PartitionTree): Promise<void> {
    while (state.next < end) {
      const records = await this.log.read(topic, partition, state.next, BATCH);
      // Nothing read before the end: on the embedded log there is nothing of this topic there yet; on Kafka a fetch
      // may come back empty. Either way the next tick reads from here again, so nothing is skipped.
      if (records.length === 0) return;
      for (const record of records) {
        if (record.offset >= end) return;
        state.tree.append(leafHash(record.event.hash));
        state.next = record.offset + 1;
        const stored = state.stored;
        if (stored && state.tree.size === stored.treeSize) {
          const root = state.tree.root().toString('hex');
          if (root !== stored.rootHash) {
            state.diverged = `the log's first ${stored.treeSize} events have root ${root}, the stored checkpoint ${stored.rootHash}`;
            return;
          }
        }
      }
    }
  }
}
