import { spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoints, type AuditReport, type ChainBreak } from '../../libs/audit/src';
import { verifyConsistencyBetween, verifyInclusionUnder } from '../../libs/audit-verifier/src';
import { openArtifactStoreAt, s3LocationFromEnv } from '../../libs/artifacts/src/open-artifact-store';
import { sealEvent, TOPICS, type EventEnvelope } from '../../libs/events/src/envelope';
import type { EventLog } from '../../libs/log/src/event-log';
import { withStore } from '../support/kill-window';
import { copyLog, type Tamper } from '../support/log-copy';
import { gql, post, waitForProjection } from '../support/runlog-client';
import {
  artifactBucketFor,
  distributedEnv,
  makeDataDir,
  removeDataDir,
  startRunlog,
  useRunlog,
  STANDALONE_MAIN,
} from '../support/runlog-process';
import { openServerLog } from '../support/server-log';

const CLI_MAIN = join(STANDALONE_MAIN, '..', '..', '..', 'cli', 'src', 'main.js');
const VERIFIER_MAIN = join(
  STANDALONE_MAIN,
  '..',
  '..',
  '..',
  '..',
  'libs',
  'audit-verifier',
  'src',
  'cli.js',
);
const AUDIT_QUERY = `{ auditVerify(topics: ["runlog.lifecycle", "runlog.metrics"]) {
  ok events streams breakCount
  heads { topic partition treeSize rootHash }
  firstBreak { reason topic partition offset stream position eventId expected found }
} }`;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The server signs its checkpoints with this key every second; the CLI checks them with it.
const KEY_FILE = join(mkdtempSync(join(tmpdir(), 'runlog-audit-key-')), 'checkpoint-key.pem');
writeFileSync(KEY_FILE, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
const SIGNING = { RUNLOG_AUDIT_SIGNING_KEY_FILE: KEY_FILE, RUNLOG_AUDIT_CHECKPOINT_MS: '1000' };
// Auditors verify with the public half alone: they never hold the key that could forge a checkpoint.
const PUBLIC_KEY_FILE = join(KEY_FILE, '..', 'checkpoint-public.pem');
writeFileSync(
  PUBLIC_KEY_FILE,
  createPublicKey(createPrivateKey(readFileSync(KEY_FILE))).export({ type: 'spki', format: 'pem' }),
);
const VERIFYING = { RUNLOG_AUDIT_PUBLIC_KEY_FILE: PUBLIC_KEY_FILE };

/** `runlog audit verify` as an operator runs it: its own process, the server's RUNLOG_* and nothing else. */
function auditCli(dataDir: string, ...args: string[]): Promise<CliResult> {
  return auditCliWith({}, dataDir, ...args);
}

function auditCliWith(env: Record<string, string>, dataDir: string, ...args: string[]): Promise<CliResult> {
  const command = args[0] === 'export' ? args : ['verify', ...args];
  return runNode([CLI_MAIN, 'audit', ...command], {
    RUNLOG_DATA_DIR: dataDir,
    ...distributedEnv(dataDir),
    ...env,
  });
}

function runNode(args: string[], env: Record<string, string>): Promise<CliResult> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('RUNLOG_')),
  );
  const child = spawn(process.execPath, args, {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Every stream's chain sealed again in order, as a forger who recomputes the hashes after an edit would. */
function rechain(events: EventEnvelope[]): EventEnvelope[] {
  const heads = new Map<string, string>();
  return events.map((event) => {
    const sealed = sealEvent(event, event.stream, heads.get(event.stream) ?? null, event.recordedAt);
    heads.set(event.stream, sealed.hash);
    return sealed;
  });
}

/** The events of one stream, with their indices in the partition's list. */
function streamEvents(events: EventEnvelope[], stream: string): { index: number; event: EventEnvelope }[] {
  return events.flatMap((event, index) => (event.stream === stream ? [{ index, event }] : []));
}

describe('audit verify: the whole log recomputed, and every alteration of a copy found and located', () => {
  const server = useRunlog(SIGNING);
  let log: EventLog;
  const copies: string[] = [];
  const RUN = 'audited-run';

  beforeAll(async () => {
    const { base } = server;
    expect(
      (await post(base, '/api/v1/experiments', { experimentId: 'audited', name: 'audited' })).status,
    ).toBe(201);
    expect(
      (await post(base, '/api/v1/runs', { experimentId: 'audited', runId: RUN, name: 'r' })).status,
    ).toBe(201);
    for (let i = 0; i < 4; i++) {
      expect((await post(base, `/api/v1/runs/${RUN}/tags`, { tags: { round: String(i) } })).status).toBe(200);
      const metrics = [{ key: 'loss', steps: [i], values: [1 / (i + 1)] }];
      expect((await post(base, `/api/v1/runs/${RUN}/metrics`, { metrics })).status).toBe(200);
    }
    expect((await post(base, `/api/v1/runs/${RUN}/finish`, {})).status).toBe(200);
    await waitForProjection(base);
    log = await openServerLog(server.dataDir);
  });

  afterAll(async () => {
    await log?.close();
    for (const dir of copies) removeDataDir(dir);
  });

  it('finds the history intact, by GraphQL and by the CLI alike, with the same tree heads', async () => {
    const { auditVerify } = await gql<{ auditVerify: AuditReport }>(server.base, AUDIT_QUERY);
    expect(auditVerify).toMatchObject({ ok: true, breakCount: 0, firstBreak: null });
    expect(auditVerify.events).toBeGreaterThanOrEqual(11);
    const cli = await auditCli(server.dataDir, '--json', '--topics', 'runlog.lifecycle,runlog.metrics');
    expect(cli.code).toBe(0);
    expect(cli.stderr).toMatch(/audit: .*\(100%\)/);
    const report = JSON.parse(cli.stdout) as AuditReport;
    expect(report.ok).toBe(true);
    expect(report.heads).toEqual(auditVerify.heads);
    const lifecycle = report.heads.find((head) => head.topic === TOPICS.lifecycle);
    expect(lifecycle?.treeSize).toBeGreaterThanOrEqual(7);
  });

  /** Each tamper edits the run's lifecycle stream and says where the first break must be found. */
  const TAMPERS: Record<
    string,
    (run: { index: number; event: EventEnvelope }[]) => {
      tamper: (events: EventEnvelope[]) => EventEnvelope[];
      expected: Partial<ChainBreak>;
      /** Breaks in all, when not one: a swap breaks the links into, between and out of the two it moved. */
      count?: number;
    }
  > = {
    'an edited actor': (run) => ({
      tamper: (events) => events.map((e, i) => (i === run[2].index ? { ...e, actor: 'token:eve' } : e)),
      expected: { reason: 'hash_mismatch', position: 2, eventId: run[2].event.id, found: run[2].event.hash },
    }),
    'a deleted event': (run) => ({
      tamper: (events) => events.filter((_, i) => i !== run[2].index),
      expected: {
        reason: 'prev_hash_mismatch',
        position: 2,
        eventId: run[3].event.id,
        expected: run[1].event.hash,
      },
    }),
    'two events swapped': (run) => ({
      tamper: (events) =>
        events.map((e, i) => (i === run[1].index ? run[2].event : i === run[2].index ? run[1].event : e)),
      expected: {
        reason: 'prev_hash_mismatch',
        position: 1,
        eventId: run[2].event.id,
        found: run[1].event.hash,
      },
      count: 3,
    }),
    'an event inserted with a valid hash of its own': (run) => {
      const forged = sealEvent(
        {
          ...run[1].event,
          id: '0190f5a2-7c3e-7b1a-9d4e-00000000f0f0',
          payload: { runId: RUN, tags: { forged: 'yes' } },
        },
        run[1].event.stream,
        run[0].event.hash,
        run[1].event.recordedAt,
      );
      return {
        tamper: (events) => [...events.slice(0, run[1].index), forged, ...events.slice(run[1].index)],
        expected: {
          reason: 'prev_hash_mismatch',
          position: 2,
          eventId: run[1].event.id,
          expected: forged.hash,
        },
      };
    },
  };

  it.each(Object.keys(TAMPERS))('finds %s in a copy of the log, at its stream and position', async (name) => {
    let expected: Partial<ChainBreak> = {};
    let count = 1;
    const tamper: Tamper = (topic, _partition, events) => {
      if (topic !== TOPICS.lifecycle) return events;
      const made = TAMPERS[name](streamEvents(events, `run:${RUN}`));
      expected = made.expected;
      count = made.count ?? 1;
      return made.tamper(events);
    };
    const copy = await copyLog(log, [TOPICS.lifecycle, TOPICS.metrics], tamper);
    copies.push(copy);
    const cli = await auditCli(copy, '--json', '--topics', 'runlog.lifecycle,runlog.metrics');
    expect(cli.code).toBe(1);
    const report = JSON.parse(cli.stdout) as AuditReport;
    expect(report.breakCount).toBe(count);
    expect(report.firstBreak).toMatchObject({ ...expected, topic: TOPICS.lifecycle, stream: `run:${RUN}` });
    const human = await auditCli(copy, '--topics', 'runlog.lifecycle');
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`of run:${RUN}`);
  });

  it('names the same break through GraphQL on a server started on the tampered copy', async () => {
    let expected: Partial<ChainBreak> = {};
    const copy = await copyLog(log, [TOPICS.lifecycle, TOPICS.metrics], (topic, _p, events) => {
      if (topic !== TOPICS.lifecycle) return events;
      const made = TAMPERS['an edited actor'](streamEvents(events, `run:${RUN}`));
      expected = made.expected;
      return made.tamper(events);
    });
    copies.push(copy);
    const onCopy = await startRunlog(copy);
    try {
      const { auditVerify } = await gql<{ auditVerify: AuditReport }>(onCopy.base, AUDIT_QUERY);
      expect(auditVerify).toMatchObject({ ok: false, breakCount: 1 });
      expect(auditVerify.firstBreak).toMatchObject({
        ...expected,
        reason: expected.reason?.toUpperCase(), // the GraphQL enum's name
        stream: `run:${RUN}`,
      });
    } finally {
      await onCopy.stop();
    }
  });

  /** The checkpointer signs every second: waits until the intact log has been compared with a checkpoint. */
  async function untilSigned(): Promise<CliResult> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const signed = await auditCliWith(VERIFYING, server.dataDir, '--json', '--topics', 'runlog.lifecycle');
      expect(signed.code).toBe(0);
      const checked = (JSON.parse(signed.stdout) as AuditReport).checkpointsChecked;
      if (checked > 0 || Date.now() > deadline) return signed;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The CLI's environment for a copy, reading the checkpoints the original server signed. */
  function signedCheckpointsOf(copy: string): Record<string, string> {
    if (distributedEnv(copy).RUNLOG_KAFKA_BROKERS) {
      return { ...VERIFYING, RUNLOG_S3_BUCKET: artifactBucketFor(server.dataDir) };
    }
    const records = join(server.dataDir, 'artifacts', 'records');
    if (existsSync(records)) cpSync(records, join(copy, 'artifacts', 'records'), { recursive: true });
    return VERIFYING;
  }

  it('signs checkpoints, through which a log rewritten with recomputed hashes, or cut short, is found', async () => {
    const signed = await untilSigned();
    expect(JSON.parse(signed.stdout)).toMatchObject({
      ok: true,
      checkpointsKnown: true,
      refusedCheckpoints: [],
    });
    expect((JSON.parse(signed.stdout) as AuditReport).checkpointsChecked).toBeGreaterThan(0);

    // The first event edited and every chain re-sealed after it: no link is broken any more.
    const rewritten = await copyLog(log, [TOPICS.lifecycle], (topic, _p, events) =>
      topic === TOPICS.lifecycle
        ? rechain(events.map((e, i) => (i === 0 ? { ...e, actor: 'token:eve' } : e)))
        : events,
    );
    copies.push(rewritten);
    const unsigned = await auditCli(rewritten, '--json', '--topics', 'runlog.lifecycle');
    expect(JSON.parse(unsigned.stdout)).toMatchObject({ ok: true, checkpointsKnown: false });
    const caught = await auditCliWith(
      signedCheckpointsOf(rewritten),
      rewritten,
      '--json',
      '--topics',
      'runlog.lifecycle',
    );
    expect(caught.code).toBe(1);
    expect((JSON.parse(caught.stdout) as AuditReport).firstBreak).toMatchObject({
      reason: 'checkpoint_mismatch',
      topic: TOPICS.lifecycle,
      sinceTreeSize: 0,
    });

    // Everything after the first event cut: each stream just ends earlier, so only a checkpoint can tell.
    const cut = await copyLog(log, [TOPICS.lifecycle], (topic, _p, events) =>
      topic === TOPICS.lifecycle ? events.slice(0, 1) : events,
    );
    copies.push(cut);
    expect((await auditCli(cut, '--topics', 'runlog.lifecycle')).code).toBe(0);
    const truncated = await auditCliWith(
      signedCheckpointsOf(cut),
      cut,
      '--json',
      '--topics',
      'runlog.lifecycle',
    );
    expect(truncated.code).toBe(1);
    expect((JSON.parse(truncated.stdout) as AuditReport).firstBreak).toMatchObject({
      reason: 'truncated',
      topic: TOPICS.lifecycle,
      found: '1',
    });
  });

  it('exports a bundle that the verifier alone checks offline, and finds an edit to it', async () => {
    await untilSigned();
    const folder = join(mkdtempSync(join(tmpdir(), 'runlog-bundle-')), 'bundle');
    copies.push(join(folder, '..'));
    const exported = await auditCliWith(
      VERIFYING,
      server.dataDir,
      'export',
      '--out',
      folder,
      '--topics',
      'runlog.lifecycle',
    );
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(
      /^Wrote .*: \d+ events in \d+ partitions, [1-9]\d* signed checkpoints\.$/m,
    );
    const publicKeyFile = join(folder, '..', 'public.pem');
    writeFileSync(
      publicKeyFile,
      (JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { publicKey: string }).publicKey,
    );
    const verified = await runNode([VERIFIER_MAIN, folder, '--key', publicKeyFile], {});
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(
      /^Verified: \d+ events, [1-9]\d* signed checkpoints, key [0-9a-f]{64} \(pinned\)( \(\d+ events recorded after the last checkpoints\))?\.$/m,
    );

    const events = join(folder, 'events', TOPICS.lifecycle, '0.jsonl');
    const lines = readFileSync(events, 'utf8').trim().split('\n');
    const edited = lines.findIndex((line) => line.includes(`"stream":"run:${RUN}"`));
    lines[edited] = lines[edited].replace(/"actor":"[^"]*"/, '"actor":"token:eve"');
    writeFileSync(events, `${lines.join('\n')}\n`);
    const refused = await runNode([VERIFIER_MAIN, folder, '--key', publicKeyFile], {});
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`hash_mismatch at run:${RUN} position 0`);
  });

  it('finds events-table rows altered, deleted, inserted and reordered in ClickHouse, each at its log position', async () => {
    const dataDir = makeDataDir();
    copies.push(dataDir);
    let running = await startRunlog(dataDir);
    const PROJECTION_QUERY = `{ auditVerify(topics: ["runlog.lifecycle"], projections: true) {
      ok projectionChecked projectionEventsCompared projectionFindingCount
      projectionFindings { kind topic partition offset stream eventId fields } } }`;
    try {
      const { base } = running;
      expect((await post(base, '/api/v1/experiments', { experimentId: 'p', name: 'p' })).status).toBe(201);
      expect((await post(base, '/api/v1/runs', { experimentId: 'p', runId: 'pr', name: 'pr' })).status).toBe(
        201,
      );
      for (const i of [1, 2, 3, 4, 5]) {
        expect((await post(base, '/api/v1/runs/pr/tags', { tags: { i: String(i) } })).status).toBe(200);
      }
      await waitForProjection(base);
      const clean = await gql<{ auditVerify: Record<string, unknown> }>(base, PROJECTION_QUERY);
      expect(clean.auditVerify).toMatchObject({
        ok: true,
        projectionChecked: true,
        projectionFindingCount: 0,
      });
      expect(clean.auditVerify.projectionEventsCompared).toBeGreaterThanOrEqual(5);
      await running.stop();

      // Behind the server's back, as someone with write access to ClickHouse could.
      const offsets = await withStore(running, async (ch) => {
        const table = `${ch.database}.events`;
        const result = await ch.client.query({
          query: `SELECT _log_offset AS offset FROM ${table} WHERE stream = 'run:pr' ORDER BY _log_offset`,
          format: 'JSONEachRow',
        });
        const found = (await result.json<{ offset: string | number }>()).map((row) => Number(row.offset));
        const where = (offset: number) => `_log_topic = 'runlog.lifecycle' AND _log_offset = ${offset}`;
        const sync = 'SETTINGS mutations_sync = 2';
        const rowAt = async (offset: number) =>
          (
            await (
              await ch.client.query({
                query: `SELECT * FROM ${table} WHERE ${where(offset)}`,
                format: 'JSONEachRow',
              })
            ).json<Record<string, unknown>>()
          )[0];
        // INSERT … SELECT inserts nothing through chdb/connection: rows are read out and inserted back instead.
        const insertAt = (row: Record<string, unknown>, offset: number) =>
          ch.client.insert({ table, values: [{ ...row, _log_offset: offset }], format: 'JSONEachRow' });
        const [fourth, fifth] = [await rowAt(found[4]), await rowAt(found[5])];
        // Altered: a row's actor. Deleted: a row. Inserted: a forged row beside a genuine one. Reordered: two
        // rows' positions swapped.
        await ch.client.command({
          query: `ALTER TABLE ${table} UPDATE actor = 'token:eve' WHERE ${where(found[1])} ${sync}`,
        });
        await ch.client.command({ query: `ALTER TABLE ${table} DELETE WHERE ${where(found[2])} ${sync}` });
        await insertAt(await rowAt(found[0]), found[3]);
        await ch.client.command({
          query: `ALTER TABLE ${table} DELETE WHERE ${where(found[4])} OR ${where(found[5])} ${sync}`,
        });
        await insertAt(fourth, found[5]);
        await insertAt(fifth, found[4]);
        return found;
      });
      running = await startRunlog(dataDir);
      const tampered = await gql<{
        auditVerify: {
          ok: boolean;
          projectionFindings: { kind: string; offset: number; fields: string[] }[];
        };
      }>(running.base, PROJECTION_QUERY);
      expect(tampered.auditVerify.ok).toBe(false);
      const findings = tampered.auditVerify.projectionFindings.map((f) => [
        f.kind,
        f.offset,
        f.fields.join(','),
      ]);
      const moved = expect.stringMatching(/^id,.*hash,payload$/);
      expect(findings).toEqual([
        ['row_altered', offsets[1], 'actor'],
        ['row_missing', offsets[2], ''],
        ['row_altered', offsets[3], expect.stringMatching(/^id,type,v,.*hash,payload$/)],
        ['row_altered', offsets[4], moved],
        ['row_altered', offsets[5], moved],
      ]);
    } finally {
      await running.stop();
    }
  });

  it('proves an event is in the log under a signed checkpoint, and that a later checkpoint extends an earlier one', async () => {
    const publicKey = createPublicKey(createPrivateKey(readFileSync(KEY_FILE)));
    const store = await openArtifactStoreAt(
      s3LocationFromEnv(distributedEnv(server.dataDir)),
      server.dataDir,
    );
    const deadline = Date.now() + 30_000;
    let heads = (await loadCheckpoints(store, createPrivateKey(readFileSync(KEY_FILE)))).heads;
    const lifecycle = () => heads.filter((head) => head.topic === TOPICS.lifecycle);
    // One more event after the first checkpoint, so a second, larger one is signed.
    while (lifecycle().length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      heads = (await loadCheckpoints(store, createPrivateKey(readFileSync(KEY_FILE)))).heads;
    }
    expect((await post(server.base, `/api/v1/runs/${RUN}/tags`, { tags: { audited: 'yes' } })).status).toBe(
      200,
    );
    while (lifecycle().length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      heads = (await loadCheckpoints(store, createPrivateKey(readFileSync(KEY_FILE)))).heads;
    }
    const [older, newer] = [lifecycle()[0], lifecycle().at(-1)!];
    expect(newer.treeSize).toBeGreaterThan(older.treeSize);

    const trail = await gql<{ auditTrail: { events: { id: string; hash: string }[] } }>(
      server.base,
      'query($s: String!) { auditTrail(stream: $s) { events { id hash } } }',
      { s: `run:${RUN}` },
    );
    for (const event of trail.auditTrail.events) {
      const { inclusionProof } = await gql<{
        inclusionProof: { eventHash: string; leafIndex: number; path: string[]; checkpoint: string };
      }>(
        server.base,
        'query($id: ID!) { inclusionProof(eventId: $id) { eventHash leafIndex treeSize path checkpoint } }',
        { id: event.id },
      );
      expect(inclusionProof.eventHash).toBe(event.hash);
      const checkpoint = JSON.parse(inclusionProof.checkpoint) as Parameters<typeof verifyInclusionUnder>[1];
      expect(verifyInclusionUnder(inclusionProof, checkpoint, publicKey)).toEqual({ ok: true });
      expect(
        verifyInclusionUnder(
          { ...inclusionProof, leafIndex: inclusionProof.leafIndex + 1 },
          checkpoint,
          publicKey,
        ).ok,
      ).toBe(false);
    }
    const unknown = await gql<{ inclusionProof: null }>(
      server.base,
      '{ inclusionProof(eventId: "00000000-0000-7000-8000-000000000000") { leafIndex } }',
    );
    expect(unknown.inclusionProof).toBeNull();

    const { consistencyProof } = await gql<{ consistencyProof: { path: string[] } }>(
      server.base,
      'query($from: Float!, $to: Float!) { consistencyProof(topic: "runlog.lifecycle", partition: 0, fromSize: $from, toSize: $to) { path } }',
      { from: older.treeSize, to: newer.treeSize },
    );
    expect(
      verifyConsistencyBetween(older.checkpoint, newer.checkpoint, consistencyProof.path, publicKey),
    ).toEqual({ ok: true });
    expect(
      verifyConsistencyBetween(newer.checkpoint, older.checkpoint, consistencyProof.path, publicKey).ok,
    ).toBe(false);
  });
});
