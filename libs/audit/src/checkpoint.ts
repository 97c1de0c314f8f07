import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../events/src/envelope';

/** A partition's tree head as signed: the format a verifier checks (docs/design/registry-and-audit.md). */
export interface TreeHead {
  topic: string;
  partition: number;
  treeSize: number;
  /** hex */
  rootHash: string;
}

export interface Checkpoint {
  body: TreeHead & { format: 'runlog.checkpoint/1'; issuedAt: string; keyId: string };
  /** ed25519 over the UTF-8 of the body's RFC 8785 text, base64 */
  signature: string;
}

/** The signing key from configuration: an ed25519 private key in PEM (PKCS#8). */
export function loadSigningKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the audit signing key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not ed25519`);
  }
  return key;
}

/** sha256 of the public half's SubjectPublicKeyInfo DER: names the key a checkpoint was signed with. */
export function signingKeyId(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function signTreeHead(head: TreeHead, key: KeyObject, issuedAt: Date): Checkpoint {
  const body: Checkpoint['body'] = {
    format: 'runlog.checkpoint/1',
    topic: head.topic,
    partition: head.partition,
    treeSize: head.treeSize,
    rootHash: head.rootHash,
    issuedAt: issuedAt.toISOString(),
    keyId: signingKeyId(key),
  };
  const signature = sign(null, Buffer.from(canonicalJson(body), 'utf8'), key).toString('base64');
  return { body, signature };
}
