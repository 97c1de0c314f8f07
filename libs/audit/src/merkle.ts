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

/** PATH(m, D[0:n]) of RFC 9162 §2.1.3.1: the audit path of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(leaves: readonly Buffer[], index: number, size: number): Buffer[] {
  if (!Number.isInteger(size) || size < 1 || size > leaves.length) {
    throw new RangeError(`tree size ${size} is not within 1..${leaves.length}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`leaf index ${index} is not within a tree of ${size}`);
  }
  const path: Buffer[] = [];
  let start = 0;
  let end = size;
  let m = index;
  // Walks down from the root, noting each sibling; the path lists them leaf first.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      path.push(subtreeRoot(leaves, start + k, end));
      end = start + k;
    } else {
      path.push(subtreeRoot(leaves, start, start + k));
      start += k;
      m -= k;
    }
  }
  return path.reverse();
}

/**
 * PROOF(m, D[0:n]) of RFC 9162 §2.1.4.1: the nodes that show the tree of the first `oldSize` leaves is a prefix of
 * the tree of the first `newSize`.
 */
export function consistencyProof(leaves: readonly Buffer[], oldSize: number, newSize: number): Buffer[] {
  if (!Number.isInteger(newSize) || newSize < 0 || newSize > leaves.length) {
    throw new RangeError(`tree size ${newSize} is not within 0..${leaves.length}`);
  }
  if (!Number.isInteger(oldSize) || oldSize < 0 || oldSize > newSize) {
    throw new RangeError(`old size ${oldSize} is not within 0..${newSize}`);
  }
  if (oldSize === 0 || oldSize === newSize) return [];
  return subproof(leaves, oldSize, 0, newSize, true);
}

function subproof(
  leaves: readonly Buffer[],
  m: number,
  start: number,
  end: number,
  complete: boolean,
): Buffer[] {
  const n = end - start;
  if (m === n) return complete ? [] : [subtreeRoot(leaves, start, end)];
  const k = splitPoint(n);
  if (m <= k) {
    return [...subproof(leaves, m, start, start + k, complete), subtreeRoot(leaves, start + k, end)];
  }
  return [...subproof(leaves, m - k, start + k, end, false), subtreeRoot(leaves, start, start + k)];
}
