import { createHash } from 'node:crypto';

/*
 * Checks Merkle proofs as RFC 9162 §2.1.3.2 and §2.1.4.2 say, with nothing shared with the code that makes them
 * (libs/audit): a bug there must not be able to vouch for itself here. Every proof element is consumed and every
 * size is bound: a proof with one node too many or too few, for another index or another size, fails.
 */

export type Verdict = { ok: true } | { ok: false; reason: string };

const HEX_HASH = /^[0-9a-f]{64}$/;
const EMPTY_ROOT = createHash('sha256').digest('hex');

function sha256(...parts: Buffer[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The leaf of an event: 0x00 followed by the 32 bytes of the event's own hash. */
export function eventLeaf(eventHash: string): Buffer {
  return sha256(Buffer.from([0x00]), Buffer.from(eventHash, 'hex'));
}

function interior(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.from([0x01]), left, right);
}

function fail(reason: string): Verdict {
  return { ok: false, reason };
}

function badHashes(named: Record<string, string | readonly string[]>): string | null {
  for (const [name, value] of Object.entries(named)) {
    const values: readonly unknown[] = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (typeof item !== 'string' || !HEX_HASH.test(item))
        return `${name} holds ${JSON.stringify(item)}, not a sha256 in lower-case hex`;
    }
  }
  return null;
}

function isSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export interface InclusionClaim {
  /** The event's own hash (envelope.hash). */
  eventHash: string;
  leafIndex: number;
  treeSize: number;
  path: readonly string[];
  rootHash: string;
}

/** Does `path` prove the event is leaf `leafIndex` of the tree of `treeSize` leaves whose root is `rootHash`? */
export function verifyInclusion(claim: InclusionClaim): Verdict {
  const { eventHash, leafIndex, treeSize, path, rootHash } = claim;
  if (!isSize(leafIndex) || !isSize(treeSize))
    return fail('leafIndex and treeSize must be whole numbers ≥ 0');
  if (leafIndex >= treeSize) return fail(`leaf ${leafIndex} is not in a tree of ${treeSize}`);
  const bad = badHashes({ eventHash, rootHash, path });
  if (bad) return fail(bad);
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize - 1);
  let r: Buffer = eventLeaf(eventHash);
  for (const element of path) {
    if (sn === 0n) return fail('the path is longer than a tree of this size allows');
    const p = Buffer.from(element, 'hex');
    if ((fn & 1n) === 1n || fn === sn) {
      r = interior(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = interior(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return fail('the path is shorter than a tree of this size needs');
  if (!r.equals(Buffer.from(rootHash, 'hex'))) return fail('the path does not lead to the root');
  return { ok: true };
}

export interface ConsistencyClaim {
  oldSize: number;
  oldRoot: string;
  newSize: number;
  newRoot: string;
  path: readonly string[];
}

function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

/** Does `path` prove the tree of `oldSize` leaves (root `oldRoot`) is a prefix of the tree of `newSize`? */
export function verifyConsistency(claim: ConsistencyClaim): Verdict {
  const { oldSize, oldRoot, newSize, newRoot, path } = claim;
  if (!isSize(oldSize) || !isSize(newSize)) return fail('oldSize and newSize must be whole numbers ≥ 0');
  if (oldSize > newSize) return fail(`a tree of ${newSize} cannot extend one of ${oldSize}`);
  const bad = badHashes({ oldRoot, newRoot, path });
  if (bad) return fail(bad);
  if (oldSize === 0) {
    if (oldRoot !== EMPTY_ROOT) return fail('the empty tree has root sha256("")');
    return path.length === 0 ? { ok: true } : fail('the empty tree needs no proof');
  }
  if (oldSize === newSize) {
    if (path.length !== 0) return fail('equal sizes need an empty proof');
    return oldRoot === newRoot ? { ok: true } : fail('equal sizes with different roots');
  }
  if (path.length === 0) return fail('the proof is empty');
  const nodes = path.map((element) => Buffer.from(element, 'hex'));
  if (isPowerOfTwo(BigInt(oldSize))) nodes.unshift(Buffer.from(oldRoot, 'hex'));
  let fn = BigInt(oldSize - 1);
  let sn = BigInt(newSize - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Buffer = nodes[0];
  let sr: Buffer = nodes[0];
  for (const c of nodes.slice(1)) {
    if (sn === 0n) return fail('the proof is longer than these sizes allow');
    if ((fn & 1n) === 1n || fn === sn) {
      fr = interior(c, fr);
      sr = interior(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = interior(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return fail('the proof is shorter than these sizes need');
  if (!fr.equals(Buffer.from(oldRoot, 'hex'))) return fail('the proof does not lead to the old root');
  if (!sr.equals(Buffer.from(newRoot, 'hex'))) return fail('the proof does not lead to the new root');
  return { ok: true };
}
