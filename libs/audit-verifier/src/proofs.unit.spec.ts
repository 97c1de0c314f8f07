import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
// The writer, only to make genuine proofs to check: the verifier itself imports nothing of it.
import { consistencyProof, inclusionProof, leafHash, subtreeRoot } from '../../audit/src';
import { verifyConsistency, verifyInclusion, type ConsistencyClaim, type InclusionClaim } from './proofs';

const hex = (node: Buffer): string => node.toString('hex');

function eventHashes(count: number): string[] {
  return Array.from({ length: count }, () => randomBytes(32).toString('hex'));
}

function genuineInclusion(hashes: string[], leafIndex: number, treeSize: number): InclusionClaim {
  const leaves = hashes.map(leafHash);
  return {
    eventHash: hashes[leafIndex],
    leafIndex,
    treeSize,
    path: inclusionProof(leaves, leafIndex, treeSize).map(hex),
    rootHash: hex(subtreeRoot(leaves.slice(0, treeSize))),
  };
}

function genuineConsistency(hashes: string[], oldSize: number, newSize: number): ConsistencyClaim {
  const leaves = hashes.map(leafHash);
  return {
    oldSize,
    newSize,
    oldRoot: hex(subtreeRoot(leaves.slice(0, oldSize))),
    newRoot: hex(subtreeRoot(leaves.slice(0, newSize))),
    path: consistencyProof(leaves, oldSize, newSize).map(hex),
  };
}

function flipBit(value: string, bit: number): string {
  const bytes = Buffer.from(value, 'hex');
  bytes[(bit >> 3) % bytes.length] ^= 1 << (bit & 7);
  return bytes.toString('hex');
}

/**
 * Every way a proof can be forged from a genuine one, each of which must fail. Another tree size with the same root
 * is not among them: where the two trees have the same shape from the leaf's side the path is the same, as in
 * RFC 9162; a size is only ever trusted with its root from one signed checkpoint (checkpoint.unit.spec.ts).
 */
function inclusionForgeries(claim: InclusionClaim, other: string): [string, InclusionClaim][] {
  const { path } = claim;
  const forged: [string, InclusionClaim][] = [
    ['another event', { ...claim, eventHash: other }],
    ['another root', { ...claim, rootHash: other }],
    ['the next index', { ...claim, leafIndex: claim.leafIndex + 1 }],
    ['one node more', { ...claim, path: [...path, other] }],
    ['one node more in front', { ...claim, path: [other, ...path] }],
    ['the root as the leaf', { ...claim, eventHash: claim.rootHash }],
    ['an index past the end', { ...claim, leafIndex: claim.treeSize }],
    ['a negative index', { ...claim, leafIndex: -1 }],
    ['a fractional size', { ...claim, treeSize: claim.treeSize + 0.5 }],
    ['upper-case hex', { ...claim, rootHash: claim.rootHash.toUpperCase() }],
  ];
  if (claim.leafIndex > 0) forged.push(['the previous index', { ...claim, leafIndex: claim.leafIndex - 1 }]);
  if (path.length > 0) {
    forged.push(['one node less', { ...claim, path: path.slice(0, -1) }]);
    forged.push(['one node less in front', { ...claim, path: path.slice(1) }]);
    path.forEach((_, i) => {
      forged.push([
        `node ${i} flipped`,
        { ...claim, path: path.map((n, j) => (j === i ? flipBit(n, 3) : n)) },
      ]);
    });
  }
  if (path.length > 1)
    forged.push(['nodes swapped', { ...claim, path: [path[1], path[0], ...path.slice(2)] }]);
  return forged;
}

describe('verifyInclusion', () => {
  const hashes = eventHashes(40);

  it('accepts every genuine audit path, for every leaf of every tree up to 40 leaves', () => {
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) {
        expect(verifyInclusion(genuineInclusion(hashes, index, size))).toEqual({ ok: true });
      }
    }
  });

  it('refuses every forgery of a genuine path', () => {
    const other = randomBytes(32).toString('hex');
    for (const size of [1, 2, 3, 5, 8, 13, 31, 32, 33, 40]) {
      for (const index of new Set([0, 1, size >> 1, size - 2, size - 1].filter((i) => i >= 0 && i < size))) {
        for (const [how, forged] of inclusionForgeries(genuineInclusion(hashes, index, size), other)) {
          const verdict = verifyInclusion(forged);
          if (verdict.ok) throw new Error(`accepted ${how} (leaf ${index} of ${size})`);
        }
      }
    }
  });

  it('refuses an interior node passed off as a leaf of a smaller tree (no second preimage)', () => {
    // Leaves 0 and 1 hash to node N; a forger claims N's raw bytes as the event at index 0 of a one-leaf "tree".
    const leaves = hashes.slice(0, 2).map(leafHash);
    const interior = hex(subtreeRoot(leaves));
    expect(
      verifyInclusion({ eventHash: interior, leafIndex: 0, treeSize: 1, path: [], rootHash: interior }).ok,
    ).toBe(false);
  });

  it('holds for random trees up to 5,000 leaves, and any single flipped bit is caught', () => {
    const many = eventHashes(5_000);
    const leaves = many.map(leafHash);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000 }), fc.nat(), fc.nat(), (size, pick, bit) => {
        const index = pick % size;
        const claim = {
          eventHash: many[index],
          leafIndex: index,
          treeSize: size,
          path: inclusionProof(leaves, index, size).map(hex),
          rootHash: hex(subtreeRoot(leaves.slice(0, size))),
        };
        expect(verifyInclusion(claim).ok).toBe(true);
        expect(verifyInclusion({ ...claim, eventHash: flipBit(claim.eventHash, bit % 256) }).ok).toBe(false);
        expect(verifyInclusion({ ...claim, rootHash: flipBit(claim.rootHash, bit % 256) }).ok).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

describe('verifyConsistency', () => {
  const hashes = eventHashes(40);

  it('accepts every genuine proof between any two sizes up to 40', () => {
    for (let newSize = 0; newSize <= 40; newSize++) {
      for (let oldSize = 0; oldSize <= newSize; oldSize++) {
        expect(verifyConsistency(genuineConsistency(hashes, oldSize, newSize))).toEqual({ ok: true });
      }
    }
  });

  it('refuses every forgery of a genuine proof', () => {
    const other = randomBytes(32).toString('hex');
    for (let newSize = 1; newSize <= 40; newSize += 3) {
      for (let oldSize = 1; oldSize < newSize; oldSize += 2) {
        const claim = genuineConsistency(hashes, oldSize, newSize);
        const { path } = claim;
        const forged: [string, ConsistencyClaim][] = [
          ['another old root', { ...claim, oldRoot: other }],
          ['another new root', { ...claim, newRoot: other }],
          ['roots swapped', { ...claim, oldRoot: claim.newRoot, newRoot: claim.oldRoot }],
          ['a larger old tree', { ...claim, oldSize: oldSize + 1 }],
          ['a smaller old tree', { ...claim, oldSize: oldSize - 1 }],
          ['one node more', { ...claim, path: [...path, other] }],
          ['one node less', { ...claim, path: path.slice(0, -1) }],
          ['no nodes', { ...claim, path: [] }],
          ['sizes swapped', { ...claim, oldSize: newSize, newSize: oldSize }],
          ...path.map((_, i): [string, ConsistencyClaim] => [
            `node ${i} flipped`,
            { ...claim, path: path.map((n, j) => (j === i ? flipBit(n, 5) : n)) },
          ]),
        ];
        for (const [how, claimForged] of forged) {
          if (verifyConsistency(claimForged).ok) throw new Error(`accepted ${how} (${oldSize} → ${newSize})`);
        }
      }
    }
  });

  it('refuses a log that rewrote an old leaf, whatever proof it offers', () => {
    const rewritten = [...hashes];
    rewritten[3] = randomBytes(32).toString('hex');
    const old = genuineConsistency(hashes, 7, 7);
    const now = genuineConsistency(rewritten, 7, 20);
    expect(verifyConsistency({ ...now, oldRoot: old.oldRoot }).ok).toBe(false);
  });

  it('refuses equal sizes with another root or a non-empty proof, and a proof from the empty tree', () => {
    const same = genuineConsistency(hashes, 9, 9);
    expect(verifyConsistency({ ...same, newRoot: genuineConsistency(hashes, 9, 10).newRoot }).ok).toBe(false);
    expect(verifyConsistency({ ...same, path: [same.oldRoot] }).ok).toBe(false);
    const fromEmpty = genuineConsistency(hashes, 0, 9);
    expect(verifyConsistency({ ...fromEmpty, path: [fromEmpty.newRoot] }).ok).toBe(false);
  });
});
