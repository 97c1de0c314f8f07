import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The writer side, only to make a genuine bundle: the verifier imports nothing of it.
import { CheckpointWriter, signTreeHead, writeAuditBundle } from '../../audit/src';
import { LocalArtifactStore } from '../../artifacts/src/local-artifact-store';
import type { NewEvent } from '../../events/src/envelope';
import { SqliteEventLog } from '../../log/src/sqlite-event-log';
import { verifyBundle, type BundleManifest } from './bundle';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const stranger = generateKeyPairSync('ed25519');
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();

function tagEvent(i: number, runId: string): NewEvent {
  return {
    id: `0190f5a2-7c3e-7b1a-9d4e-${String(i).padStart(12, '0')}`,
    type: 'run.tags_set',
    v: 1,
    workspace: 'w',
    actor: 'token:alice',
    occurredAt: '2026-01-01T00:00:00.000Z',
    payload: { runId, tags: { i: String(i), note: 'é😀' } },
  };
}

describe('an audit bundle, written by Runlog and checked by the verifier alone', () => {
  let dir: string;
  let folder: string;
  const lifecycleFile = () => join(folder, 'events', 'runlog.lifecycle', '0.jsonl');
  const lines = () => readFileSync(lifecycleFile(), 'utf8').trim().split('\n');
  const rewrite = (edit: (lines: string[]) => string[]) =>
    writeFileSync(lifecycleFile(), `${edit(lines()).join('\n')}\n`);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'runlog-bundle-'));
    const log = SqliteEventLog.open({ path: join(dir, 'events.sqlite') });
    const store = new LocalArtifactStore({ root: join(dir, 'artifacts') });
    const writer = new CheckpointWriter(log, store, privateKey);
    await log.appendToStream('runlog.lifecycle', 'run:a', [tagEvent(1, 'a'), tagEvent(2, 'a')]);
    await writer.tick();
    await log.appendToStream('runlog.lifecycle', 'run:b', [tagEvent(3, 'b')]);
    await log.appendToStream('runlog.lifecycle', 'run:a', [tagEvent(4, 'a'), tagEvent(5, 'a')], {
      expectedVersion: 2,
    });
    await writer.tick();
    folder = join(dir, 'bundle');
    const summary = await writeAuditBundle(log, store, { verifyKey: publicKey }, folder, {
      topics: ['runlog.lifecycle', 'runlog.metrics'],
    });
    expect(summary).toMatchObject({ events: 5, checkpoints: 2 });
    await log.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies with the pinned key and with its own', async () => {
    expect(await verifyBundle(folder, publicPem)).toMatchObject({
      ok: true,
      events: 5,
      checkpointsVerified: 2,
      findings: [],
    });
    expect((await verifyBundle(folder)).ok).toBe(true);
  });

  it('refuses a bundle whose key is not the one pinned, and every checkpoint signed by another', async () => {
    const verdict = await verifyBundle(folder, stranger.publicKey);
    expect(verdict.ok).toBe(false);
    expect(verdict.findings.map((f) => f.kind)).toEqual([
      'checkpoint_refused',
      'checkpoint_refused',
      'checkpoint_refused',
      'unsigned',
    ]);
  });

  it('refuses a bundle stripped of its checkpoints: nothing signed vouches for its events', async () => {
    const manifestFile = join(folder, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, checkpoints: [] }));
    expect((await verifyBundle(folder, publicPem)).findings.map((f) => `${f.kind} ${f.where}`)).toEqual([
      'unsigned runlog.lifecycle/0',
    ]);
  });

  it('refuses a manifest that names a file outside the bundle', async () => {
    const manifestFile = join(folder, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, checkpoints: ['../../etc/passwd'] }));
    await expect(verifyBundle(folder, publicPem)).rejects.toThrow('outside the bundle');
  });

  it('counts the events recorded after the last checkpoint without failing them', async () => {
    expect(await verifyBundle(folder, publicPem)).toMatchObject({ ok: true, unsignedTail: 0 });
    const manifestFile = join(folder, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as BundleManifest;
    // Only the checkpoint at 2 events: the 3 after it were recorded since (as in a bundle exported between two).
    writeFileSync(
      manifestFile,
      JSON.stringify({ ...manifest, checkpoints: manifest.checkpoints.slice(0, 1) }),
    );
    expect(await verifyBundle(folder, publicPem)).toMatchObject({
      ok: true,
      unsignedTail: 3,
      checkpointsVerified: 1,
    });
  });

  // The leaf is the stored hash, so the tree still matches: the edit is found by recomputing the hash.
  it('locates an edited event', async () => {
    rewrite((all) => all.map((line, i) => (i === 3 ? line.replace('token:alice', 'token:eve') : line)));
    expect((await verifyBundle(folder, publicPem)).findings).toEqual([
      expect.objectContaining({
        kind: 'hash_mismatch',
        where: expect.stringMatching(/^run:a position 2 .*:4,/),
      }),
    ]);
  });

  const findings = async () =>
    (await verifyBundle(folder, publicPem)).findings.map((f) => `${f.kind} ${f.where.split(' (')[0]}`);

  it('locates a deleted event, and the checkpoints it breaks', async () => {
    rewrite((all) => all.filter((_, i) => i !== 1));
    expect(await findings()).toEqual([
      'checkpoint_mismatch runlog.lifecycle/0 at 2 events',
      'prev_hash_mismatch run:a position 1',
      'count_mismatch events/runlog.lifecycle/0.jsonl',
      'truncated runlog.lifecycle/0',
    ]);
  });

  it('locates two events swapped', async () => {
    rewrite((all) => [...all.slice(0, 3), all[4], all[3]]);
    expect(await findings()).toEqual([
      'prev_hash_mismatch run:a position 2',
      'prev_hash_mismatch run:a position 3',
      'checkpoint_mismatch runlog.lifecycle/0 at 5 events',
    ]);
  });

  it('locates an event inserted from elsewhere in the log', async () => {
    rewrite((all) => [all[0], all[2], ...all.slice(1)]);
    expect(await findings()).toEqual([
      'checkpoint_mismatch runlog.lifecycle/0 at 2 events',
      'prev_hash_mismatch run:b position 1',
      'checkpoint_mismatch runlog.lifecycle/0 at 5 events',
      'count_mismatch events/runlog.lifecycle/0.jsonl',
    ]);
  });

  it('finds the end cut off, which no link shows', async () => {
    rewrite((all) => all.slice(0, -1));
    expect(await findings()).toEqual([
      'count_mismatch events/runlog.lifecycle/0.jsonl',
      'truncated runlog.lifecycle/0',
    ]);
  });
});

describe('verifyBundle on a forged checkpoint', () => {
  it('refuses a checkpoint whose signature does not cover its body', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'runlog-bundle-forged-'));
    try {
      const head = {
        topic: 'runlog.lifecycle',
        partition: 0,
        treeSize: 0,
        rootHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      };
      const genuine = signTreeHead(head, privateKey, new Date());
      const forged = { ...genuine, body: { ...genuine.body, treeSize: 1 } };
      writeFileSync(join(dir, 'c.json'), JSON.stringify(forged));
      const manifest: BundleManifest = {
        format: 'runlog.audit-bundle/1',
        createdAt: '',
        publicKey: publicPem,
        partitions: [],
        checkpoints: ['c.json'],
      };
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      expect((await verifyBundle(dir, publicPem)).findings).toEqual([
        { kind: 'checkpoint_refused', where: 'c.json', detail: 'the signature does not match the body' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
