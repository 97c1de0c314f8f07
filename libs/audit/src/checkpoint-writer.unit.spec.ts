import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactStore } from '../../artifacts/src/local-artifact-store';
import type { NewEvent } from '../../events/src/envelope';
import { SqliteEventLog } from '../../log/src/sqlite-event-log';
import { auditEventLog } from './audit-scan';
import { signTreeHead } from './checkpoint';
import { checkpointConfigFromEnv, checkpointKey, loadCheckpoints } from './checkpoint-store';
import { CheckpointWriter } from './checkpoint-writer';

const { privateKey } = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519').privateKey;

function tagEvent(i: number): NewEvent {
  return {
    id: `0190f5a2-7c3e-7b1a-9d4e-${String(i).padStart(12, '0')}`,
    type: 'run.tags_set',
    v: 1,
    workspace: 'w',
    actor: 'token:alice',
    occurredAt: '2026-01-01T00:00:00.000Z',
    payload: { runId: 'r', tags: { i: String(i) } },
  };
}

describe('CheckpointWriter and loadCheckpoints', () => {
  let dir: string;
  let log: SqliteEventLog;
  let store: LocalArtifactStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runlog-checkpoints-'));
    log = SqliteEventLog.open({ path: join(dir, 'events.sqlite') });
    store = new LocalArtifactStore({ root: join(dir, 'artifacts') });
  });
  afterEach(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs each partition that grew, once per size, with the root the auditor recomputes', async () => {
    const writer = new CheckpointWriter(log, store, privateKey, () => new Date('2026-12-04T00:00:00Z'));
    expect(await writer.tick()).toEqual([]);
    await log.appendToStream('runlog.lifecycle', 'run:r', [tagEvent(1), tagEvent(2), tagEvent(3)]);
    const [first, ...none] = await writer.tick();
    expect(none).toEqual([]);
    expect(first.body).toMatchObject({ topic: 'runlog.lifecycle', partition: 0, treeSize: 3 });
    expect(await writer.tick()).toEqual([]);
    await log.appendToStream('runlog.lifecycle', 'run:r', [tagEvent(4), tagEvent(5)], { expectedVersion: 3 });
    const [second] = await writer.tick();
    expect(second.body.treeSize).toBe(5);

    const stored = await loadCheckpoints(store, privateKey);
    expect(stored.refused).toEqual([]);
    expect(stored.heads.map((head) => head.treeSize)).toEqual([3, 5]);
    const report = await auditEventLog(log, { checkpoints: stored.heads });
    expect(report).toMatchObject({ ok: true, checkpointsChecked: 2 });
    expect(report.heads.find((head) => head.topic === 'runlog.lifecycle')?.rootHash).toBe(
      second.body.rootHash,
    );
  });

  it('a new writer reads the log from the start, replaces no stored checkpoint, and signs again once it grew', async () => {
    await log.appendToStream('runlog.lifecycle', 'run:r', [tagEvent(1), tagEvent(2)]);
    const [before] = await new CheckpointWriter(log, store, privateKey).tick();
    expect(await new CheckpointWriter(log, store, privateKey).tick()).toEqual([]);
    await log.appendToStream('runlog.lifecycle', 'run:r', [tagEvent(3)], { expectedVersion: 2 });
    const [after] = await new CheckpointWriter(log, store, privateKey).tick();
    expect(after.body.treeSize).toBe(before.body.treeSize + 1);
    expect((await loadCheckpoints(store, privateKey)).heads.map((head) => head.rootHash)).toEqual([
      before.body.rootHash,
      after.body.rootHash,
    ]);
  });

  it('signs nothing more over a log that no longer reproduces a stored checkpoint, and says so', async () => {
    await log.appendToStream('runlog.lifecycle', 'run:r', [tagEvent(1), tagEvent(2)]);
    await new CheckpointWriter(log, store, privateKey).tick();
    // Another log of the same length under the same store: a rewrite.
    const forged = SqliteEventLog.open({ path: join(dir, 'forged.sqlite') });
    try {
      await forged.appendToStream('runlog.lifecycle', 'run:r', [tagEvent(1), tagEvent(9), tagEvent(3)]);
      const writer = new CheckpointWriter(forged, store, privateKey);
      expect(await writer.tick()).toEqual([]);
      expect(writer.divergences()).toEqual([
        expect.stringMatching(
          /^runlog.lifecycle\/0: the log's first 2 events have root [0-9a-f]{64}, the stored/,
        ),
      ]);
      expect((await loadCheckpoints(store, privateKey)).heads.map((head) => head.treeSize)).toEqual([2]);
    } finally {
      await forged.close();
    }
  });

  it('checkpoints only the topics kept forever', async () => {
    await log.appendToStream('runlog.metrics', 'metrics:r', [tagEvent(1)]);
    expect(await new CheckpointWriter(log, store, privateKey).tick()).toEqual([]);
  });

  it('refuses checkpoints that do not verify, naming why, and trusts none of their heads', async () => {
    await log.appendToStream('runlog.lifecycle', 'run:r', [tagEvent(1)]);
    const [genuine] = await new CheckpointWriter(log, store, privateKey).tick();
    const head = { ...genuine.body, treeSize: 7 };
    const foreign = signTreeHead(head, stranger, new Date());
    await store.putRecord(checkpointKey(head), Buffer.from(JSON.stringify(foreign)));
    const edited = { ...genuine, body: { ...genuine.body, treeSize: 8 } };
    await store.putRecord(checkpointKey(edited.body), Buffer.from(JSON.stringify(edited)));
    const moved = signTreeHead({ ...genuine.body }, privateKey, new Date());
    await store.putRecord(
      checkpointKey({ ...genuine.body, treeSize: 9 }),
      Buffer.from(JSON.stringify(moved)),
    );
    await store.putRecord(checkpointKey({ ...genuine.body, treeSize: 10 }), Buffer.from('{not json'));
    const stored = await loadCheckpoints(store, privateKey);
    expect(stored.heads.map((h) => h.treeSize)).toEqual([1]);
    expect(stored.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^signed with another key/),
      'the signature does not match the body',
      'stored under another partition or size than it signs',
      'not JSON',
    ]);
  });
});

describe('checkpointConfigFromEnv', () => {
  it('is off without a key, and reads an ed25519 PEM file and the interval', () => {
    expect(checkpointConfigFromEnv({})).toEqual({ signingKey: null, verifyKey: null, intervalMs: 60_000 });
    const dir = mkdtempSync(join(tmpdir(), 'runlog-key-'));
    try {
      const file = join(dir, 'key.pem');
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      const config = checkpointConfigFromEnv({
        RUNLOG_AUDIT_SIGNING_KEY_FILE: file,
        RUNLOG_AUDIT_CHECKPOINT_MS: '5000',
      });
      expect(config.intervalMs).toBe(5_000);
      expect(config.signingKey?.asymmetricKeyType).toBe('ed25519');
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
      writeFileSync(file, rsa.export({ type: 'pkcs8', format: 'pem' }));
      expect(() => checkpointConfigFromEnv({ RUNLOG_AUDIT_SIGNING_KEY_FILE: file })).toThrow(
        /RUNLOG_AUDIT_SIGNING_KEY_FILE .*not ed25519/,
      );
      // Verifying needs only the public half, which a verifier may hold alone.
      const publicFile = join(dir, 'public.pem');
      writeFileSync(publicFile, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
      const verifying = checkpointConfigFromEnv({ RUNLOG_AUDIT_PUBLIC_KEY_FILE: publicFile });
      expect(verifying.signingKey).toBeNull();
      expect(verifying.verifyKey?.type).toBe('public');
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      expect(
        checkpointConfigFromEnv({
          RUNLOG_AUDIT_SIGNING_KEY_FILE: file,
          RUNLOG_AUDIT_PUBLIC_KEY_FILE: publicFile,
        }).verifyKey?.type,
      ).toBe('public');
      const strangerFile = join(dir, 'stranger.pem');
      writeFileSync(strangerFile, createPublicKey(stranger).export({ type: 'spki', format: 'pem' }));
      expect(() =>
        checkpointConfigFromEnv({
          RUNLOG_AUDIT_SIGNING_KEY_FILE: file,
          RUNLOG_AUDIT_PUBLIC_KEY_FILE: strangerFile,
        }),
      ).toThrow('RUNLOG_AUDIT_PUBLIC_KEY_FILE is not the public half of RUNLOG_AUDIT_SIGNING_KEY_FILE');
      expect(() => checkpointConfigFromEnv({ RUNLOG_AUDIT_PUBLIC_KEY_FILE: file })).toThrow(
        /RUNLOG_AUDIT_PUBLIC_KEY_FILE/,
      );
      expect(() => checkpointConfigFromEnv({ RUNLOG_AUDIT_SIGNING_KEY_FILE: join(dir, 'missing') })).toThrow(
        /RUNLOG_AUDIT_SIGNING_KEY_FILE .*missing/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['999', '86400001', '1.5', 'soon', '-1'])('refuses RUNLOG_AUDIT_CHECKPOINT_MS=%s', (value) => {
    expect(() => checkpointConfigFromEnv({ RUNLOG_AUDIT_CHECKPOINT_MS: value })).toThrow(
      /RUNLOG_AUDIT_CHECKPOINT_MS/,
    );
  });
});
