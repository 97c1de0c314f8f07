import type { KeyObject } from 'node:crypto';
import type { ArtifactStore } from '../../artifacts/src/artifact-store';
import type { EventLog } from '../../log/src/event-log';
import { AUDITED_TOPICS } from './audit-scan';
import { signTreeHead, type Checkpoint } from './checkpoint';
import { checkpointKey } from './checkpoint-store';
import { leafHash, MerkleAccumulator } from './merkle';

interface PartitionTree {
  tree: MerkleAccumulator;
  /** The next offset to read. */
  next: number;
  signedSize: number;
}

const BATCH = 2_000;

/**
 * Keeps every partition's Merkle tree up to date by reading what was appended since the last tick, and signs the
 * head of each partition that grew into the artifact store. Memory: O(log n) per partition. A new writer reads the
 * log from the start once (the tree cannot be resumed from a root).
 */
export class CheckpointWriter {
  private readonly trees = new Map<string, PartitionTree>();

  constructor(
    private readonly log: Pick<EventLog, 'read' | 'endOffsets'>,
    private readonly store: Pick<ArtifactStore, 'putRecord'>,
    private readonly key: KeyObject,
    private readonly clock: () => Date = () => new Date(),
    private readonly topics: readonly string[] = AUDITED_TOPICS,
  ) {}

  /** Reads up to the current end of every partition and signs those that grew. Not re-entrant: await it. */
  async tick(): Promise<Checkpoint[]> {
    const written: Checkpoint[] = [];
    for (const topic of this.topics) {
      for (const [partition, end] of [...(await this.log.endOffsets(topic))].sort(([a], [b]) => a - b)) {
        const state = this.partitionTree(topic, partition);
        await this.catchUp(topic, partition, end, state);
        if (state.tree.size === state.signedSize) continue;
        const checkpoint = signTreeHead(
          { topic, partition, treeSize: state.tree.size, rootHash: state.tree.root().toString('hex') },
          this.key,
          this.clock(),
        );
        await this.store.putRecord(checkpointKey(checkpoint.body), Buffer.from(JSON.stringify(checkpoint)));
        state.signedSize = state.tree.size;
        written.push(checkpoint);
      }
    }
    return written;
  }

  private partitionTree(topic: string, partition: number): PartitionTree {
    const name = `${topic}/${partition}`;
    let state = this.trees.get(name);
    if (!state) {
      state = { tree: new MerkleAccumulator(), next: 0, signedSize: 0 };
      this.trees.set(name, state);
    }
    return state;
  }

  private async catchUp(topic: string, partition: number, end: number, state: PartitionTree): Promise<void> {
    while (state.next < end) {
      const records = await this.log.read(topic, partition, state.next, BATCH);
      const inRange = records.filter((record) => record.offset < end);
      for (const record of inRange) state.tree.append(leafHash(record.event.hash));
      if (inRange.length === 0) {
        state.next = end;
        return;
      }
      state.next = inRange[inRange.length - 1].offset + 1;
    }
  }
}
