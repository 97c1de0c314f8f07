import { createHash } from 'node:crypto';

/*
 * The Merkle tree of a log partition, as Certificate Transparency defines it (RFC 9162 §2.1): leaves are the
 * partition's events in offset order, each leaf's data the 32 bytes of the event's own hash (which covers every
 * other field of the envelope). Leaves and interior nodes are hashed with different prefixes (0x00, 0x01), so a
 * node can never be passed off as a leaf. This is the writer's side; libs/audit-verifier checks its proofs with
 * code of its own.
 */

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);
const EMPTY_ROOT = createHash('sha256').digest();

export function leafHash(eventHash: string): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(Buffer.from(eventHash, 'hex')).digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/**
 * The root of a growing tree in O(log n) memory: the roots of its perfect subtrees, largest first. A partition of
 * any length is verified in one pass without keeping its leaves.
 */
export class MerkleAccumulator {
  private readonly subtrees: { height: number; hash: Buffer }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  append(leaf: Buffer): void {
    let node = { height: 0, hash: leaf };
    while (this.subtrees.length > 0 && this.subtrees[this.subtrees.length - 1].height === node.height) {
      const left = this.subtrees.pop()!;
      node = { height: node.height + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.subtrees.push(node);
    this.count++;
  }

  /** RFC 9162's MTH: the perfect subtrees folded from the right, smallest first. */
  root(): Buffer {
    if (this.subtrees.length === 0) return EMPTY_ROOT;
    let hash = this.subtrees[this.subtrees.length - 1].hash;
    for (let i = this.subtrees.length - 2; i >= 0; i--) hash = nodeHash(this.subtrees[i].hash, hash);
    return hash;
  }
}

/** The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]) over leaf hashes. */
export function subtreeRoot(leaves: readonly Buffer[], start = 0, end = leaves.length): Buffer {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start];
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** A subtree of the tree: the leaves [start, end). A proof is the roots of a list of them. */
export type LeafRange = readonly [start: number, end: number];

/**
 * PATH(m, D[0:n]) of RFC 9162 §2.1.3.1 as leaf ranges, leaf first: the siblings on the way from leaf `index` to the
 * root of the tree of the first `size` leaves.
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  if (!Number.isSafeInteger(size) || size < 1)
    throw new RangeError(`tree size ${size} is not a whole number ≥ 1`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is not within a tree of ${size}`);
  }
  const ranges: LeafRange[] = [];
  let start = 0;
  let end = size;
  // Walks down from the root, noting each sibling; the path lists them leaf first.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      start += k;
    }
  }
  return ranges.reverse();
}

/**
 * PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1 as leaf ranges: the subtrees that show the tree of the first `oldSize`
 * leaves is a prefix of the tree of the first `newSize`.
 */
export function consistencyProofRanges(oldSize: number, newSize: number): LeafRange[] {
  if (!Number.isSafeInteger(newSize) || newSize < 0)
    throw new RangeError(`tree size ${newSize} is not a whole number`);
  if (!Number.isSafeInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
    throw new RangeError(`old size ${oldSize} is not within 0..${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  return subproofRanges(oldSize, 0, newSize, true);
}

function subproofRanges(m: number, start: number, end: number, complete: boolean): LeafRange[] {
  const n = end - start;
  if (m === n) return complete ? [] : [[start, end]];
  const k = splitPoint(n);
  if (m <= k) return [...subproofRanges(m, start, start + k, complete), [start + k, end]];
  return [...subproofRanges(m - k, start + k, end, false), [start, start + k]];
}

function withinLeaves(size: number, leaves: readonly Buffer[]): void {
  if (size > leaves.length) throw new RangeError(`tree size ${size} is not within 0..${leaves.length}`);
}

/** PATH(m, D[0:n]) over leaf hashes held in memory. */
export function inclusionProof(leaves: readonly Buffer[], index: number, size: number): Buffer[] {
  withinLeaves(size, leaves);
  return inclusionProofRanges(index, size).map(([start, end]) => subtreeRoot(leaves, start, end));
}

/** PROOF(m, D[0:n]) over leaf hashes held in memory. */
export function consistencyProof(leaves: readonly Buffer[], oldSize: number, newSize: number): Buffer[] {
  withinLeaves(newSize, leaves);
  return consistencyProofRanges(oldSize, newSize).map(([start, end]) => subtreeRoot(leaves, start, end));
}

/**
 * The roots of disjoint leaf ranges computed while the leaves go by once, in order, without keeping them: memory is
 * O(log n) per range, so a proof over a partition of any length costs one read of it.
 */
export class RangeRoots {
  private readonly accumulators: MerkleAccumulator[];
  private next = 0;

  constructor(private readonly ranges: readonly LeafRange[]) {
    this.accumulators = ranges.map(() => new MerkleAccumulator());
  }

  /** The leaf count needed: leaves past the last range's end change nothing. */
  get needed(): number {
    return this.ranges.reduce((max, [, end]) => Math.max(max, end), 0);
  }

  add(leaf: Buffer): void {
    const index = this.next++;
    this.ranges.forEach(([start, end], i) => {
      if (index >= start && index < end) this.accumulators[i].append(leaf);
    });
  }

  roots(): Buffer[] {
    if (this.next < this.needed)
      throw new RangeError(`only ${this.next} of ${this.needed} leaves were given`);
    return this.accumulators.map((accumulator) => accumulator.root());
  }
}
