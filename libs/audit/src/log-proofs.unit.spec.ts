import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
// The independent verifier checks what the writer proves.
import { verifyConsistency, verifyInclusion } from '../../audit-verifier/src';
import type { NewEvent } from '../../events/src/envelope';
import { SqliteEventLog } from '../../log/src/sqlite-event-log';
import { proveConsistency, proveInclusion } from './log-proofs';
import {
  consistencyProof,
  consistencyProofRanges,
  inclusionProof,
  inclusionProofRanges,
  leafHash,
  RangeRoots,
  subtreeRoot,
} from './merkle';

function tagEvent(i: number): NewEvent {
  return {
    id: `0190f5a2-7c3e-7b1a-9d4e-${String(i).padStart(12, '0')}`,
    type: 'run.tags_set',
    v: 1,
    workspace: 'w',
    actor: 'token:a',
    occurredAt: '2026-01-01T00:00:00.000Z',
    payload: { runId: 'r', tags: { i: String(i) } },
  };
}

describe('RangeRoots', () => {
  it('gives the same proofs in one pass as the leaves held in memory, for any index and sizes', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => leafHash(i.toString(16).padStart(64, '0')));
    const streamed = (ranges: readonly (readonly [number, number])[]) => {
      const roots = new RangeRoots(ranges);
      leaves.slice(0, roots.needed).forEach((leaf) => roots.add(leaf));
      return roots.roots().map((root) => root.toString('hex'));
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), (size, a, b) => {
        const index = a % size;
        const oldSize = b % (size + 1);
        expect(streamed(inclusionProofRanges(index, size))).toEqual(
          inclusionProof(leaves, index, size).map((node) => node.toString('hex')),
        );
        expect(streamed(consistencyProofRanges(oldSize, size))).toEqual(
          consistencyProof(leaves, oldSize, size).map((node) => node.toString('hex')),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuses roots before the leaves they need were given', () => {
    const roots = new RangeRoots([[0, 4]]);
    roots.add(leafHash('00'.repeat(32)));
    expect(() => roots.roots()).toThrow('only 1 of 4 leaves were given');
  });
});

describe('proofs computed from the log', () => {
  let dir: string;
  let log: SqliteEventLog;
  const hashes: string[] = [];
  const offsets: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runlog-proofs-'));
    log = SqliteEventLog.open({ path: join(dir, 'events.sqlite') });
    // Another topic interleaved: the embedded log's offsets are global, so leaf indices are not offsets.
    for (let i = 0; i < 37; i++) {
      const appended = await log.appendToStream('runlog.lifecycle', `run:r${i % 5}`, [tagEvent(i)]);
      hashes.push(appended.appended[0].hash);
      offsets.push(appended.lastOffset);
      if (i % 3 === 0) await log.appendToStream('runlog.metrics', `metrics:r${i}`, [tagEvent(1_000 + i)]);
    }
  });
  afterAll(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rootOf = (size: number) => subtreeRoot(hashes.slice(0, size).map(leafHash)).toString('hex');

  it('proves every event under every tree that holds it, as the verifier checks', async () => {
    for (const treeSize of [1, 2, 7, 16, 17, 37]) {
      for (let leaf = 0; leaf < treeSize; leaf += 3) {
        const answer = await proveInclusion(
          log,
          { topic: 'runlog.lifecycle', partition: 0, offset: offsets[leaf] },
          treeSize,
        );
        expect(answer).toMatchObject({ leafIndex: leaf, eventHash: hashes[leaf] });
        expect(verifyInclusion({ ...answer, treeSize, rootHash: rootOf(treeSize) })).toEqual({ ok: true });
      }
    }
  });

  it('refuses an event outside the tree, or an offset that holds none', async () => {
    const at = { topic: 'runlog.lifecycle', partition: 0 };
    await expect(proveInclusion(log, { ...at, offset: offsets[20] }, 20)).rejects.toThrow(RangeError);
    await expect(proveInclusion(log, { ...at, offset: offsets[36] + 1_000 }, 37)).rejects.toThrow(RangeError);
  });

  it('proves every older tree a prefix of every newer one', async () => {
    for (const [oldSize, newSize] of [
      [0, 5],
      [1, 2],
      [3, 8],
      [8, 16],
      [13, 37],
      [37, 37],
    ]) {
      const path = await proveConsistency(log, { topic: 'runlog.lifecycle', partition: 0 }, oldSize, newSize);
      const claim = { oldSize, newSize, oldRoot: rootOf(oldSize), newRoot: rootOf(newSize), path };
      expect(verifyConsistency(claim)).toEqual({ ok: true });
    }
  });
});
