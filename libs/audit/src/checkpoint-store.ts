import { readFileSync } from 'node:fs';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { ArtifactStore } from '../../artifacts/src/artifact-store';
import { canonicalJson } from '../../events/src/envelope';
import { loadSigningKey, signingKeyId, type Checkpoint, type TreeHead } from './checkpoint';

export const AUDIT_CHECKPOINTS = Symbol('AUDIT_CHECKPOINTS');

/** Signed checkpoints: the keys, and how often each partition's head is signed. */
export interface CheckpointConfig {
  /** The ed25519 private key the projector signs with; null where this process does not sign. */
  signingKey: KeyObject | null;
  /**
   * The public key checkpoints are verified with (the gateway, the CLI): the signing key's public half, or
   * RUNLOG_AUDIT_PUBLIC_KEY_FILE alone, so that verifying never needs the key that could forge. Null: not checked.
   */
  verifyKey: KeyObject | null;
  intervalMs: number;
}

const DEFAULT_INTERVAL_MS = 60_000;

function readKeyFile(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`${variable} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function loadVerifyKey(file: string): KeyObject {
  const variable = 'RUNLOG_AUDIT_PUBLIC_KEY_FILE';
  const pem = readKeyFile(variable, file);
  // A verifier must not hold the key that could forge what it checks.
  if (pem.includes('PRIVATE KEY'))
    throw new Error(`${variable} ${file}: holds a private key; give its public half`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.startsWith(variable) ? message : `${variable} ${file}: ${message}`, {
      cause: error,
    });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `${variable} ${file}: the key is ${key.asymmetricKeyType ?? 'not asymmetric'}, not ed25519`,
    );
  }
  return key;
}

/**
 * RUNLOG_AUDIT_SIGNING_KEY_FILE (an ed25519 private key, PEM: signs, and verifies with its public half),
 * RUNLOG_AUDIT_PUBLIC_KEY_FILE (an ed25519 public key, PEM: verifies only) and RUNLOG_AUDIT_CHECKPOINT_MS.
 */
export function checkpointConfigFromEnv(env: Record<string, string | undefined>): CheckpointConfig {
  const rawInterval = env.RUNLOG_AUDIT_CHECKPOINT_MS;
  const intervalMs =
    rawInterval === undefined || rawInterval === '' ? DEFAULT_INTERVAL_MS : Number(rawInterval);
  if (!Number.isInteger(intervalMs) || intervalMs < 1_000 || intervalMs > 86_400_000) {
    throw new Error(
      `RUNLOG_AUDIT_CHECKPOINT_MS must be a whole number of ms from 1000 to 86400000, got "${rawInterval}"`,
    );
  }
  const signingFile = env.RUNLOG_AUDIT_SIGNING_KEY_FILE;
  const publicFile = env.RUNLOG_AUDIT_PUBLIC_KEY_FILE;
  let signingKey: KeyObject | null = null;
  if (signingFile) {
    const pem = readKeyFile('RUNLOG_AUDIT_SIGNING_KEY_FILE', signingFile);
    try {
      signingKey = loadSigningKey(pem);
    } catch (error) {
      throw new Error(`RUNLOG_AUDIT_SIGNING_KEY_FILE ${signingFile}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const publicKey = publicFile ? loadVerifyKey(publicFile) : null;
  if (signingKey && publicKey && signingKeyId(signingKey) !== signingKeyId(publicKey)) {
    throw new Error('RUNLOG_AUDIT_PUBLIC_KEY_FILE is not the public half of RUNLOG_AUDIT_SIGNING_KEY_FILE');
  }
  return {
    signingKey,
    verifyKey: publicKey ?? (signingKey ? createPublicKey(signingKey) : null),
    intervalMs,
  };
}

const PREFIX = 'checkpoints/';

/** Sorted by size within a partition: sizes are zero-padded to 16 digits. */
export function checkpointKey(head: Pick<TreeHead, 'topic' | 'partition' | 'treeSize'>): string {
  return `${PREFIX}${head.topic}/${head.partition}/${String(head.treeSize).padStart(16, '0')}.json`;
}

/** A tree head whose signature verified, with the signed checkpoint it was read from. */
export interface VerifiedHead extends TreeHead {
  checkpoint: Checkpoint;
}

export interface StoredCheckpoints {
  /** Tree heads whose signature verified with the key, in key order (partition, then size). */
  heads: VerifiedHead[];
  /** Records under checkpoints/ that do not verify: a forged or damaged checkpoint is a finding, not a head. */
  refused: { key: string; reason: string }[];
}

/** Every checkpoint in the store, each checked against the key's public half before its head is trusted. */
export async function loadCheckpoints(
  store: Pick<ArtifactStore, 'listRecords' | 'getRecord'>,
  key: KeyObject,
): Promise<StoredCheckpoints> {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const keyId = signingKeyId(publicKey);
  const found: StoredCheckpoints = { heads: [], refused: [] };
  for (const name of await store.listRecords(PREFIX)) {
    const bytes = await store.getRecord(name);
    const reason =
      bytes === null ? 'vanished while read' : readStoredCheckpoint(bytes, publicKey, keyId, name);
    if (typeof reason === 'string') found.refused.push({ key: name, reason });
    else found.heads.push(reason);
  }
  return found;
}

/**
 * A stored checkpoint's head when its record verifies with the key (`keyId`: the key's id, computed once by the
 * caller), else why it is refused.
 */
export function readStoredCheckpoint(
  bytes: Buffer,
  publicKey: KeyObject,
  keyId: string,
  name: string,
): string | VerifiedHead {
  let checkpoint: Checkpoint;
  try {
    checkpoint = JSON.parse(bytes.toString('utf8')) as Checkpoint;
  } catch {
    return 'not JSON';
  }
  const body = checkpoint?.body;
  if (!body || body.format !== 'runlog.checkpoint/1') return 'not a runlog.checkpoint/1';
  if (body.keyId !== keyId) return `signed with another key (${String(body.keyId).slice(0, 16)}…)`;
  if (typeof checkpoint.signature !== 'string') return 'no signature';
  const valid = verify(
    null,
    Buffer.from(canonicalJson(body), 'utf8'),
    publicKey,
    Buffer.from(checkpoint.signature, 'base64'),
  );
  if (!valid) return 'the signature does not match the body';
  const head = {
    topic: body.topic,
    partition: body.partition,
    treeSize: body.treeSize,
    rootHash: body.rootHash,
  };
  if (checkpointKey(head) !== name) return 'stored under another partition or size than it signs';
  return { ...head, checkpoint };
}
