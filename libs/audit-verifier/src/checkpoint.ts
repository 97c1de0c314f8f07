import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { verifyConsistency, verifyInclusion, type Verdict } from './proofs';

/**
 * A partition's tree head, signed (docs/design/registry-and-audit.md holds the format): the signature is ed25519
 * over the UTF-8 of the RFC 8785 canonical JSON of `body`.
 */
export interface SignedCheckpoint {
  body: CheckpointBody;
  /** base64 */
  signature: string;
}

export interface CheckpointBody {
  format: 'runlog.checkpoint/1';
  topic: string;
  partition: number;
  treeSize: number;
  rootHash: string;
  issuedAt: string;
  /** sha256 (hex) of the signing key's public half, SubjectPublicKeyInfo DER. */
  keyId: string;
}

export function publicKeyId(publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function verifyCheckpoint(checkpoint: SignedCheckpoint, publicKey: KeyObject | string): Verdict {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  if (key.asymmetricKeyType !== 'ed25519') return { ok: false, reason: 'the public key is not ed25519' };
  const { body, signature } = checkpoint ?? {};
  if (!body || typeof body !== 'object') return { ok: false, reason: 'the checkpoint has no body' };
  if (body.format !== 'runlog.checkpoint/1')
    return { ok: false, reason: `unknown format ${String(body.format)}` };
  if (body.keyId !== publicKeyId(key)) return { ok: false, reason: 'the checkpoint names another key' };
  if (typeof signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) {
    return { ok: false, reason: 'the signature is not base64' };
  }
  const text = canonicalize(body);
  if (text === undefined) return { ok: false, reason: 'the body cannot be canonicalized' };
  const valid = verify(null, Buffer.from(text, 'utf8'), key, Buffer.from(signature, 'base64'));
  return valid ? { ok: true } : { ok: false, reason: 'the signature does not match the body' };
}

/** An event's own hash, recomputed: sha256 of the canonical JSON of the envelope without `hash`. */
export function recomputeEventHash(envelope: Record<string, unknown>): string {
  const rest: Record<string, unknown> = { ...envelope };
  delete rest.hash;
  const text = canonicalize(rest);
  if (text === undefined) throw new TypeError('the envelope cannot be canonicalized');
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface EventInclusion {
  eventHash: string;
  leafIndex: number;
  path: readonly string[];
}

/** Is the event in the partition under this checkpoint? The size and root are taken from the signed body only. */
export function verifyInclusionUnder(
  inclusion: EventInclusion,
  checkpoint: SignedCheckpoint,
  publicKey: KeyObject | string,
): Verdict {
  const signed = verifyCheckpoint(checkpoint, publicKey);
  if (!signed.ok) return signed;
  const { treeSize, rootHash } = checkpoint.body;
  return verifyInclusion({ ...inclusion, treeSize, rootHash });
}

/** Does the newer checkpoint extend the older one, of the same partition, both signed with this key? */
export function verifyConsistencyBetween(
  older: SignedCheckpoint,
  newer: SignedCheckpoint,
  path: readonly string[],
  publicKey: KeyObject | string,
): Verdict {
  for (const checkpoint of [older, newer]) {
    const signed = verifyCheckpoint(checkpoint, publicKey);
    if (!signed.ok) return signed;
  }
  if (older.body.topic !== newer.body.topic || older.body.partition !== newer.body.partition) {
    return { ok: false, reason: 'the checkpoints are of different partitions' };
  }
  return verifyConsistency({
    oldSize: older.body.treeSize,
    oldRoot: older.body.rootHash,
    newSize: newer.body.treeSize,
    newRoot: newer.body.rootHash,
    path,
  });
}
