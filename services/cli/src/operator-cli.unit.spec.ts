import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventLog } from '../../../libs/log/src/sqlite-event-log';
import type { AuditReport } from '../../../libs/audit/src';
import { runOperatorCli } from './operator-cli';
import { formatDuration, ProgressLine } from './progress';

function sinks(isTTY = false) {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text), isTTY },
    out: () => out,
    err: () => err,
  };
}

describe('runlog audit verify (command line)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'runlog-cli-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    [['audit', 'verify', '--topics', 'runlog.nope'], /--topics: "runlog.nope" is not a Runlog topic/],
    [['audit', 'verify', '--topics', ','], /--topics names no topic/],
    [['audit', 'verify', '--bogus'], /Unknown option '--bogus'/],
    [['audit', 'verify', 'extra'], /unexpected argument "extra"/],
    [['audit', 'verify', '--topics'], /argument missing/],
  ])('refuses %j with exit code 2, naming what is wrong', async (argv, message) => {
    const io = sinks();
    expect(await runOperatorCli(argv, { env: { RUNLOG_DATA_DIR: dataDir }, ...io })).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  });

  it('names an unknown operator command with exit code 2, and prints its usage on --help with 0', async () => {
    const unknown = sinks();
    expect(await runOperatorCli(['audit', 'forge'], { env: {}, ...unknown })).toBe(2);
    expect(unknown.err()).toMatch(/unknown command "audit forge"/);
    const help = sinks();
    expect(await runOperatorCli(['audit', 'verify', '--help'], { env: {}, ...help })).toBe(0);
    expect(help.out()).toMatch(/^runlog audit verify/);
  });

  it('fails with exit code 1 where there is no log, without making one', async () => {
    const io = sinks();
    expect(await runOperatorCli(['audit', 'verify'], { env: { RUNLOG_DATA_DIR: dataDir }, ...io })).toBe(1);
    expect(io.err()).toMatch(/no event log at .*events\.sqlite/);
  });

  it('reports an intact log with exit code 0, and an edited one with 1, naming the stream and position', async () => {
    const log = SqliteEventLog.open({ path: join(dataDir, 'log', 'events.sqlite') });
    const event = (i: number) => ({
      id: `0190f5a2-7c3e-7b1a-9d4e-${String(i).padStart(12, '0')}`,
      type: 'run.tags_set',
      v: 1,
      workspace: 'w',
      actor: 'token:alice',
      occurredAt: '2026-01-01T00:00:00.000Z',
      payload: { runId: 'r1', tags: { i: String(i) } },
    });
    await log.appendToStream('runlog.lifecycle', 'run:r1', [event(1), event(2), event(3)]);
    await log.close();
    const intact = sinks();
    const env = { RUNLOG_DATA_DIR: dataDir };
    expect(await runOperatorCli(['audit', 'verify', '--json'], { env, ...intact })).toBe(0);
    const report = JSON.parse(intact.out()) as AuditReport;
    expect(report).toMatchObject({ ok: true, events: 3, streams: 1 });
    expect(intact.err()).toMatch(/audit: (\d+) \/ \1 offsets \(100%\)/);

    // Edit the second event's actor in place, as someone with write access to the file could.
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(join(dataDir, 'log', 'events.sqlite'));
    const row = db
      .prepare(`SELECT "offset", body FROM events WHERE stream = 'run:r1' AND stream_version = 2`)
      .get() as {
      offset: number;
      body: string;
    };
    db.prepare('UPDATE events SET body = ? WHERE "offset" = ?').run(
      row.body.replace('token:alice', 'token:eve'),
      row.offset,
    );
    db.close();
    const broken = sinks();
    expect(await runOperatorCli(['audit', 'verify'], { env, ...broken })).toBe(1);
    expect(broken.out()).toMatch(/BROKEN: 1 breaks/);
    expect(broken.out()).toMatch(
      new RegExp(
        `hash_mismatch: event ${event(2).id} at position 1 of run:r1 \\(runlog.lifecycle/0 offset ${row.offset}\\) was edited`,
      ),
    );
  });
});

describe('ProgressLine', () => {
  it('prints done, percent, rate and ETA, at most once per interval off a terminal', () => {
    let now = 0;
    const io = sinks();
    const line = new ProgressLine(io.stderr, {
      label: 'replay',
      unit: 'points',
      now: () => now,
      intervalMs: 1_000,
    });
    now = 1_000;
    line.update(250_000, 1_000_000, 'runlog.metrics/0');
    now = 1_500;
    line.update(400_000, 1_000_000);
    now = 2_000;
    line.finish(1_000_000, 1_000_000);
    expect(io.err()).toBe(
      'replay: 250,000 / 1,000,000 points (25%), 250,000 points/s, ETA 3 s, runlog.metrics/0\n' +
        'replay: 1,000,000 / 1,000,000 points (100%), 500,000 points/s, ETA 0 s\n',
    );
  });

  it('rewrites one line in place on a terminal and ends it on finish', () => {
    let now = 0;
    const io = sinks(true);
    const line = new ProgressLine(io.stderr, { label: 'audit', unit: 'records', now: () => now });
    now = 200;
    line.update(1, 2);
    now = 400;
    line.finish(2, 2);
    expect(io.err().startsWith('\r\x1b[2Kaudit: 1 / 2 records (50%)')).toBe(true);
    expect(io.err().endsWith('(100%), 5 records/s, ETA 0 s\n')).toBe(true);
  });

  it('formats durations in s, min and h', () => {
    expect(formatDuration(4_400)).toBe('4 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_725_000)).toBe('1 h 2 min');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});
