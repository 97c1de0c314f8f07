import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEventId, TOPICS, type NewEvent } from '../../events/src/envelope';
import type { EventLog, LogRecord } from '../../log/src/event-log';
import { SqliteEventLog, type SqliteEventLogConfig } from '../../log/src/sqlite-event-log';
import { waitFor } from '../../log/test/event-log.contract';
import { AccessDirectory } from './access-directory';
import { tokenStream, type TokenIssuedPayload } from './access-events';
import { newApiToken } from './api-token';

const dirs: string[] = [];
const logs: SqliteEventLog[] = [];
const directories: AccessDirectory[] = [];

function tempPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'runlog-access-'));
  dirs.push(dir);
  return join(dir, 'log.db');
}

function openLog(config: Partial<SqliteEventLogConfig> = {}): SqliteEventLog {
  return openLogAt(tempPath(), config);
}

function openLogAt(path: string, config: Partial<SqliteEventLogConfig> = {}): SqliteEventLog {
  const log = SqliteEventLog.open({ path, pollIntervalMs: 50, ...config });
  logs.push(log);
  return log;
}

function directoryOver(log: EventLog, pollMs = 60_000): AccessDirectory {
  const directory = new AccessDirectory(log, { pollMs });
  directories.push(directory);
  return directory;
}

afterEach(async () => {
  for (const directory of directories.splice(0)) directory.stop();
  await Promise.all(logs.splice(0).map((log) => log.close()));
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newEvent(type: string, payload: unknown, workspace = 'team'): NewEvent {
  return {
    id: newEventId(),
    type,
    v: 1,
    workspace,
    actor: 'root',
    occurredAt: new Date().toISOString(),
    payload,
  };
}

async function issue(
  log: EventLog,
  overrides: Partial<TokenIssuedPayload> = {},
): Promise<TokenIssuedPayload> {
  const secret = newApiToken();
  const payload: TokenIssuedPayload = {
    tokenId: secret.tokenId,
    principal: 'ci-bot',
    workspace: 'team',
    roles: ['writer'],
    secretSha256: secret.secretSha256,
    expiresAt: null,
    description: null,
    actOnBehalf: false,
    ...overrides,
  };
  await log.appendToStream(TOPICS.access, tokenStream(payload.tokenId), [newEvent('token.issued', payload)], {
    expectedVersion: 'no_stream',
  });
  return payload;
}

async function revoke(log: EventLog, tokenId: string): Promise<void> {
  await log.appendToStream(TOPICS.access, tokenStream(tokenId), [
    newEvent('token.revoked', { tokenId, reason: 'test' }),
  ]);
}

async function issuedShape(): Promise<Omit<TokenIssuedPayload, 'tokenId'>> {
  const { secretSha256 } = newApiToken();
  return {
    principal: 'stray',
    workspace: 'team',
    roles: ['admin'],
    secretSha256,
    expiresAt: null,
    description: null,
    actOnBehalf: false,
  };
}

async function logMetrics(log: EventLog, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    await log.appendToStream(TOPICS.metrics, 'metrics:run-1', [
      newEvent('metrics.logged', { metrics: { loss: { steps: [i], values: [0.5], timestamps: [i] } } }),
    ]);
  }
}

describe('AccessDirectory on the embedded log', () => {
  it('reads every token the log holds, revocations included, before start() resolves', async () => {
    const log = openLog();
    const kept = await issue(log, { roles: ['viewer', 'approver'] });
    const gone = await issue(log);
    await revoke(log, gone.tokenId);
    const before = Date.now();
    const directory = directoryOver(log);
    expect(directory.freshAt).toBe(0);
    await directory.start();
    expect(directory.token(kept.tokenId)).toMatchObject({ ...kept, issuedBy: 'root' });
    expect(directory.token(kept.tokenId)?.revokedAt).toBeUndefined();
    expect(directory.token(gone.tokenId)?.revokedAt).toEqual(expect.any(String));
    expect(directory.token('0123456789abcdef')).toBeUndefined();
    expect(directory.freshAt).toBeGreaterThanOrEqual(before);
  });

  it('sees a revocation made after start() once catchUp() resolves, and tells the listeners which', async () => {
    const log = openLog();
    const a = await issue(log);
    const b = await issue(log);
    const directory = directoryOver(log);
    await directory.start();
    const heard: string[][] = [];
    const gone: string[][] = [];
    directory.onRevoked((ids) => heard.push([...ids]));
    directory.onRevoked((ids) => gone.push([...ids]))();

    await issue(log);
    await directory.catchUp();
    expect(heard).toEqual([]); // a read with no revocation tells no one

    await revoke(log, a.tokenId);
    await revoke(log, b.tokenId);
    expect(directory.token(a.tokenId)?.revokedAt).toBeUndefined();
    await directory.catchUp();
    expect(directory.token(a.tokenId)?.revokedAt).toEqual(expect.any(String));
    expect(directory.token(b.tokenId)?.revokedAt).toEqual(expect.any(String));
    expect(heard.map((ids) => ids.sort())).toEqual([[a.tokenId, b.tokenId].sort()]);
    expect(gone).toEqual([]);

    await revoke(log, a.tokenId); // a second revocation is skipped: no one is told again
    await directory.catchUp();
    expect(heard).toHaveLength(1);
  });

  it('sees what a second writer on the same file appends within a poll or so, with no catchUp() call', async () => {
    const path = tempPath();
    const log = openLogAt(path);
    const pollMs = 50;
    const directory = directoryOver(log, pollMs);
    await directory.start();
    const other = openLogAt(path);
    const token = await issue(other);
    await waitFor(() => directory.token(token.tokenId) !== undefined, pollMs * 20);
    await revoke(other, token.tokenId);
    await waitFor(() => directory.token(token.tokenId)?.revokedAt !== undefined, pollMs * 20);
  });

  it('stops polling on stop()', async () => {
    const log = openLog();
    const pollMs = 50;
    const directory = directoryOver(log, pollMs);
    const ends = jest.spyOn(log, 'endOffsets');
    await directory.start();
    await waitFor(() => ends.mock.calls.length >= 3, pollMs * 20);
    directory.stop();
    const calls = ends.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, pollMs * 4));
    expect(ends.mock.calls.length).toBe(calls);
  });

  it('is not confused by other topics interleaved on the embedded log, whose offsets it shares', async () => {
    const log = openLog();
    await logMetrics(log, 3);
    const a = await issue(log);
    await logMetrics(log, 5);
    const b = await issue(log);
    await logMetrics(log, 2);
    await revoke(log, a.tokenId);
    await logMetrics(log, 4);
    // A record shaped like a token event on another topic is not an access event.
    const stray = newApiToken();
    await log.appendToStream(TOPICS.metrics, 'metrics:run-2', [
      newEvent('token.issued', { ...(await issuedShape()), tokenId: stray.tokenId }),
    ]);
    const directory = directoryOver(log);
    await directory.start();
    expect(directory.token(a.tokenId)?.revokedAt).toEqual(expect.any(String));
    expect(directory.token(b.tokenId)?.revokedAt).toBeUndefined();
    expect(directory.token(stray.tokenId)).toBeUndefined();

    // The end moves with metrics alone; then a token issued after them is still found.
    await logMetrics(log, 3);
    await directory.catchUp();
    const c = await issue(log);
    await logMetrics(log, 2);
    await directory.catchUp();
    expect(directory.token(c.tokenId)).toBeDefined();
    expect(directory.list().map((t) => t.tokenId)).toEqual([a.tokenId, b.tokenId, c.tokenId]);
  });

  it('skips a malformed access record and reads on past it', async () => {
    const log = openLog();
    await log.appendToStream(TOPICS.access, tokenStream('0123456789abcdef'), [
      newEvent('token.issued', { tokenId: '0123456789abcdef', principal: 'no rest' }),
    ]);
    const after = await issue(log);
    const directory = directoryOver(log);
    await directory.start();
    expect(directory.token('0123456789abcdef')).toBeUndefined();
    expect(directory.token(after.tokenId)).toBeDefined();
  });

  it('reads all of more than one chunk (1000 records) of access records', async () => {
    const log = openLog();
    const issued: string[] = [];
    for (let round = 0; round < 5; round++) {
      const batch = await Promise.all(Array.from({ length: 500 }, () => issue(log)));
      issued.push(...batch.map((t) => t.tokenId));
      await logMetrics(log, 1);
    }
    const revoked = issued.filter((_, i) => i % 250 === 0);
    await Promise.all(revoked.map((id) => revoke(log, id)));
    const directory = directoryOver(log);
    const reads = jest.spyOn(log, 'read');
    await directory.start();
    expect(reads.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(directory.list()).toHaveLength(2500);
    for (const id of issued) expect(directory.token(id)).toBeDefined();
    expect(directory.list().filter((t) => t.revokedAt !== undefined)).toHaveLength(revoked.length);
  });

  it('lists tokens by when they were issued, not by where they sit in the log', async () => {
    let clock = Date.parse('2030-01-01T00:00:00.000Z');
    // A clock that runs backwards: each append is recorded earlier than the one before it.
    const log = openLog({ now: () => new Date((clock -= 60_000)) });
    const first = await issue(log);
    const second = await issue(log);
    const third = await issue(log);
    const directory = directoryOver(log);
    await directory.start();
    expect(directory.list().map((t) => t.tokenId)).toEqual([third.tokenId, second.tokenId, first.tokenId]);
  });
});

describe('AccessDirectory.catchUp', () => {
  /** Holds the next read of the log, after it has read, until released. */
  function holdNextRead(log: SqliteEventLog) {
    const real = log.read.bind(log);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let signalRead!: () => void;
    const hasRead = new Promise<void>((resolve) => (signalRead = resolve));
    const reads = jest.spyOn(log, 'read').mockImplementationOnce(async (...args): Promise<LogRecord[]> => {
      const records = await real(...args);
      signalRead();
      await released;
      return records;
    });
    return { reads, hasRead, release };
  }

  it('runs a call made during a read as one more read after it, so it sees what was appended meanwhile', async () => {
    const log = openLog();
    const early = await issue(log);
    const directory = directoryOver(log);
    const held = holdNextRead(log);
    const first = directory.catchUp();
    await held.hasRead;
    const late = await issue(log);
    const second = directory.catchUp();
    held.release();
    await first;
    expect(directory.token(early.tokenId)).toBeDefined();
    expect(directory.token(late.tokenId)).toBeUndefined();
    await second;
    expect(directory.token(late.tokenId)).toBeDefined();
  });

  it('coalesces concurrent calls: one read running and at most one queued', async () => {
    const log = openLog();
    await issue(log);
    const directory = directoryOver(log);
    const ends = jest.spyOn(log, 'endOffsets');
    const held = holdNextRead(log);
    const first = directory.catchUp();
    await held.hasRead;
    const waiting = Array.from({ length: 20 }, () => directory.catchUp());
    expect(new Set(waiting).size).toBe(1);
    expect(waiting[0]).not.toBe(first);
    held.release();
    await Promise.all([first, ...waiting]);
    expect(ends).toHaveBeenCalledTimes(2);
    await directory.catchUp();
    expect(ends).toHaveBeenCalledTimes(3);
  });

  it('runs the queued read even when the running one fails, and keeps what it knew', async () => {
    const log = openLog();
    const known = await issue(log);
    const directory = directoryOver(log);
    await directory.start();
    const later = await issue(log);
    const real = log.endOffsets.bind(log);
    let fail!: (error: Error) => void;
    jest
      .spyOn(log, 'endOffsets')
      .mockImplementationOnce(() => new Promise((_resolve, reject) => (fail = reject)))
      .mockImplementation(real);
    const failing = directory.catchUp();
    const queued = directory.catchUp();
    fail(new Error('log away'));
    await expect(failing).rejects.toThrow('log away');
    await queued;
    expect(directory.token(known.tokenId)).toBeDefined();
    expect(directory.token(later.tokenId)).toBeDefined();
  });
});
