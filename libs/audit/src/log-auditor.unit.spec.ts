import { sealEvent, type EventEnvelope } from '../../events/src/envelope';
import type { LogRecord } from '../../log/src/event-log';
import { LogAuditor, type AuditReport } from './log-auditor';
import type { TreeHead } from './checkpoint';

const TOPIC = 'runlog.lifecycle';

/** A partition holding three interleaved streams of four events each, chained as the log chains them. */
function genuineLog(): LogRecord[] {
  const heads = new Map<string, string | null>();
  const records: LogRecord[] = [];
  for (let i = 0; i < 12; i++) {
    const stream = `run:r${i % 3}`;
    const event = sealEvent(
      {
        id: `0190f5a2-7c3e-7b1a-9d4e-${String(i).padStart(12, '0')}`,
        type: 'run.tags_set',
        v: 1,
        workspace: 'w',
        actor: 'token:alice',
        occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        payload: { runId: stream.slice(4), tags: { step: String(i) } },
      },
      stream,
      heads.get(stream) ?? null,
      new Date(Date.UTC(2026, 0, 1, 0, 0, i, 5)).toISOString(),
    );
    heads.set(stream, event.hash);
    records.push({ topic: TOPIC, partition: 0, offset: 100 + i, key: stream, event });
  }
  return records;
}

function audit(records: LogRecord[], checkpoints: TreeHead[] = []): AuditReport {
  const auditor = new LogAuditor(checkpoints);
  auditor.partitionOf(TOPIC, 0);
  for (const record of records) auditor.accept(record);
  return auditor.finish();
}

/** Re-seals every event, as a forger who recomputes the hashes after an edit would. */
function rechain(records: LogRecord[]): LogRecord[] {
  const heads = new Map<string, string | null>();
  return records.map((record) => {
    const { event } = record;
    const sealed = sealEvent(event, event.stream, heads.get(event.stream) ?? null, event.recordedAt);
    heads.set(event.stream, sealed.hash);
    return { ...record, event: sealed };
  });
}

function edit(records: LogRecord[], index: number, change: Partial<EventEnvelope>): LogRecord[] {
  return records.map((record, i) =>
    i === index ? { ...record, event: { ...record.event, ...change } } : record,
  );
}

describe('LogAuditor', () => {
  it('passes a genuine log, counting its events and streams, and its head matches a checkpoint of it', () => {
    const records = genuineLog();
    const report = audit(records);
    expect(report).toMatchObject({ ok: true, events: 12, streams: 3, breakCount: 0, firstBreak: null });
    expect(report.heads).toEqual([
      { topic: TOPIC, partition: 0, treeSize: 12, rootHash: expect.any(String) },
    ]);
    const checkpoint = { ...report.heads[0], treeSize: 12 };
    const midway = audit(records.slice(0, 5)).heads[0];
    expect(audit(records, [midway, checkpoint])).toMatchObject({ ok: true, checkpointsChecked: 2 });
  });

  it('locates an edited event: its stream, position, offset, and the hash expected and found', () => {
    const records = edit(genuineLog(), 7, { actor: 'token:mallory' });
    const report = audit(records);
    expect(report.breakCount).toBe(1);
    expect(report.firstBreak).toEqual({
      reason: 'hash_mismatch',
      topic: TOPIC,
      partition: 0,
      offset: 107,
      stream: 'run:r1',
      workspace: 'w',
      position: 2,
      eventId: records[7].event.id,
      expected: expect.stringMatching(/^[0-9a-f]{64}$/),
      found: records[7].event.hash,
    });
  });

  it('locates a deleted event at the next event of its stream, naming the link expected', () => {
    const genuine = genuineLog();
    const records = genuine.filter((_, i) => i !== 4); // run:r1 at position 1
    expect(audit(records).firstBreak).toMatchObject({
      reason: 'prev_hash_mismatch',
      stream: 'run:r1',
      position: 1,
      offset: 107,
      expected: genuine[1].event.hash,
      found: genuine[4].event.hash,
    });
  });

  it('locates two events of a stream swapped, and an event inserted from elsewhere', () => {
    const genuine = genuineLog();
    const swapped = [...genuine];
    [swapped[2], swapped[5]] = [swapped[5], swapped[2]]; // run:r2 positions 0 and 1
    expect(audit(swapped).firstBreak).toMatchObject({
      reason: 'prev_hash_mismatch',
      stream: 'run:r2',
      position: 0,
    });
    const inserted = [...genuine.slice(0, 6), genuine[3], ...genuine.slice(6)];
    expect(audit(inserted).firstBreak).toMatchObject({
      reason: 'prev_hash_mismatch',
      stream: 'run:r0',
      position: 2,
    });
  });

  it('finds a log rewritten with recomputed hashes only through a checkpoint, and says since which size', () => {
    const genuine = genuineLog();
    const early = audit(genuine.slice(0, 4)).heads[0];
    const signed = audit(genuine).heads[0];
    const forged = rechain(edit(genuine, 6, { payload: { runId: 'r0', tags: { step: 'forged' } } }));
    expect(audit(forged).ok).toBe(true);
    const report = audit(forged, [early, signed]);
    expect(report.firstBreak).toMatchObject({
      reason: 'checkpoint_mismatch',
      treeSize: 12,
      sinceTreeSize: 4,
      expected: signed.rootHash,
    });
  });

  it('finds events cut from the end of a partition, which no later link can show', () => {
    const genuine = genuineLog();
    const signed = audit(genuine).heads[0];
    const cut = genuine.slice(0, 10);
    expect(audit(cut).ok).toBe(true);
    expect(audit(cut, [signed]).firstBreak).toMatchObject({
      reason: 'truncated',
      offset: 110,
      expected: '12',
      found: '10',
    });
    // A partition emptied entirely is found too.
    expect(audit([], [signed]).firstBreak).toMatchObject({ reason: 'truncated', offset: null, found: '0' });
  });

  it('reports one break per edit, not one at every later link, and caps the list it keeps', () => {
    let records = genuineLog();
    for (const i of [1, 5, 9]) records = edit(records, i, { workspace: 'elsewhere' });
    expect(audit(records).breakCount).toBe(3);
    const many: LogRecord[] = [];
    for (let i = 0; i < 150; i++) many.push(...edit(genuineLog(), 0, { actor: 'x' }).slice(0, 1));
    const report = audit(many);
    expect(report.breakCount).toBeGreaterThan(100);
    expect(report.breaks).toHaveLength(100);
  });
});
