import { generateKeyPairSync, randomBytes } from 'node:crypto';
// The writer, only to make genuine checkpoints and proofs: the verifier imports nothing of it.
import { consistencyProof, inclusionProof, leafHash, signTreeHead, subtreeRoot } from '../../audit/src';
import { sealEvent } from '../../events/src/envelope';
import {
  publicKeyId,
  recomputeEventHash,
  verifyCheckpoint,
  verifyConsistencyBetween,
  verifyInclusionUnder,
  type SignedCheckpoint,
} from './checkpoint';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const hashes = Array.from({ length: 25 }, () => randomBytes(32).toString('hex'));
const leaves = hashes.map(leafHash);
const hex = (node: Buffer): string => node.toString('hex');

function checkpointAt(size: number, key = privateKey): SignedCheckpoint {
  return signTreeHead(
    {
      topic: 'runlog.lifecycle',
      partition: 0,
      treeSize: size,
      rootHash: hex(subtreeRoot(leaves.slice(0, size))),
    },
    key,
    new Date('2026-12-04T00:00:00.000Z'),
  );
}

describe('verifyCheckpoint', () => {
  it("accepts the writer's signed tree head with the public key, as PEM or key object", () => {
    const checkpoint = checkpointAt(25);
    expect(verifyCheckpoint(checkpoint, publicPem)).toEqual({ ok: true });
    expect(verifyCheckpoint(checkpoint, publicKey)).toEqual({ ok: true });
    expect(checkpoint.body.keyId).toBe(publicKeyId(publicPem));
  });

  const edits: Record<string, (body: SignedCheckpoint['body']) => SignedCheckpoint['body']> = {
    topic: (body) => ({ ...body, topic: 'runlog.metrics' }),
    partition: (body) => ({ ...body, partition: 1 }),
    treeSize: (body) => ({ ...body, treeSize: body.treeSize - 1 }),
    rootHash: (body) => ({ ...body, rootHash: hashes[0] }),
    issuedAt: (body) => ({ ...body, issuedAt: '2026-12-05T00:00:00.000Z' }),
    extra: (body) => ({ ...body, note: 'added' }) as SignedCheckpoint['body'],
  };
  it.each(Object.keys(edits))('refuses a checkpoint whose %s was edited after signing', (field) => {
    const checkpoint = checkpointAt(25);
    expect(verifyCheckpoint({ ...checkpoint, body: edits[field](checkpoint.body) }, publicKey).ok).toBe(
      false,
    );
  });

  it('refuses another key, a checkpoint naming another key, a bad signature and a non-ed25519 key', () => {
    const checkpoint = checkpointAt(25);
    expect(verifyCheckpoint(checkpoint, other.publicKey).ok).toBe(false);
    expect(verifyCheckpoint(checkpointAt(25, other.privateKey), publicKey).ok).toBe(false);
    // Signed by the other key but claiming this key's id: the signature does not match.
    const claimed = { ...checkpointAt(25, other.privateKey) };
    claimed.body = { ...claimed.body, keyId: publicKeyId(publicKey) };
    expect(verifyCheckpoint(claimed, publicKey)).toEqual({
      ok: false,
      reason: 'the signature does not match the body',
    });
    expect(verifyCheckpoint({ ...checkpoint, signature: checkpointAt(24).signature }, publicKey).ok).toBe(
      false,
    );
    expect(verifyCheckpoint({ ...checkpoint, signature: 'not base64!' }, publicKey).ok).toBe(false);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(verifyCheckpoint(checkpoint, rsa.publicKey)).toEqual({
      ok: false,
      reason: 'the public key is not ed25519',
    });
  });
});

describe('proofs under signed checkpoints', () => {
  it('proves inclusion under a checkpoint, and nothing under an edited or foreign one', () => {
    const checkpoint = checkpointAt(25);
    const inclusion = { eventHash: hashes[11], leafIndex: 11, path: inclusionProof(leaves, 11, 25).map(hex) };
    expect(verifyInclusionUnder(inclusion, checkpoint, publicKey)).toEqual({ ok: true });
    // The path of leaf 11 in the 24-leaf tree, offered under a checkpoint that claims size 24 with the 25-tree root.
    const resized = { ...checkpoint, body: { ...checkpoint.body, treeSize: 24 } };
    expect(verifyInclusionUnder(inclusion, resized, publicKey).ok).toBe(false);
    expect(verifyInclusionUnder(inclusion, checkpointAt(25, other.privateKey), publicKey).ok).toBe(false);
    expect(verifyInclusionUnder({ ...inclusion, leafIndex: 12 }, checkpoint, publicKey).ok).toBe(false);
  });

  it('proves a later checkpoint extends an earlier one, and refuses swapped, foreign or mixed partitions', () => {
    const older = checkpointAt(10);
    const newer = checkpointAt(25);
    const path = consistencyProof(leaves, 10, 25).map(hex);
    expect(verifyConsistencyBetween(older, newer, path, publicKey)).toEqual({ ok: true });
    expect(verifyConsistencyBetween(newer, older, path, publicKey).ok).toBe(false);
    expect(verifyConsistencyBetween(older, checkpointAt(25, other.privateKey), path, publicKey).ok).toBe(
      false,
    );
    const elsewhere = signTreeHead({ ...newer.body, topic: 'runlog.registry' }, privateKey, new Date());
    expect(verifyConsistencyBetween(older, elsewhere, path, publicKey)).toEqual({
      ok: false,
      reason: 'the checkpoints are of different partitions',
    });
  });
});

describe('recomputeEventHash', () => {
  it("recomputes the writer's hash from a stored envelope with its own canonical JSON", () => {
    const event = sealEvent(
      {
        id: '0190f5a2-7c3e-7b1a-9d4e-2f6a8b0c1d2e',
        type: 'run.tags_set',
        v: 1,
        workspace: 'w',
        actor: 'token:a',
        occurredAt: '2026-01-01T00:00:00.000Z',
        payload: { runId: 'r', tags: { é: '😀', a: 'b' } },
      },
      'run:r',
      null,
      '2026-01-01T00:00:00.001Z',
    );
    const stored = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    expect(recomputeEventHash(stored)).toBe(event.hash);
    expect(recomputeEventHash({ ...stored, workspace: 'x' })).not.toBe(event.hash);
  });
});
