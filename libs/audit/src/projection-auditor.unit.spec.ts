import { sealEvent } from '../../events/src/envelope';
import type { LogRecord } from '../../log/src/event-log';
import { differingFields, ProjectionAuditor, type EventRowView } from './projection-auditor';

function records(count: number): LogRecord[] {
  const out: LogRecord[] = [];
  for (let i = 0; i < count; i++) {
    const event = sealEvent(
      {
        id: `0190f5a2-7c3e-7b1a-9d4e-${String(i).padStart(12, '0')}`,
        type: 'run.tags_set',
        v: 1,
        workspace: 'w',
        actor: 'token:a',
        occurredAt: '2026-01-01T00:00:00.123Z',
        payload: { runId: 'r', tags: { i: String(i) } },
        ...(i === 1 ? { onBehalfOf: 'bob', requestDigest: 'd'.repeat(64) } : {}),
      },
      'run:r',
      out[i - 1]?.event.hash ?? null,
      '2026-01-01T00:00:01.456Z',
    );
    out.push({ topic: 't', partition: 0, offset: 10 + 2 * i, key: 'run:r', event });
  }
  return out;
}

/** The row the projector writes for a record. */
function rowOf(record: LogRecord): EventRowView {
  const { event } = record;
  return {
    offset: record.offset,
    id: event.id,
    type: event.type,
    v: event.v,
    stream: event.stream,
    workspace: event.workspace,
    actor: event.actor,
    onBehalfOf: event.onBehalfOf ?? null,
    requestDigest: event.requestDigest ?? null,
    occurredAt: Date.parse(event.occurredAt),
    recordedAt: Date.parse(event.recordedAt),
    prevHash: event.prevHash,
    hash: event.hash,
    payload: JSON.stringify(event.payload),
  };
}

function compare(log: LogRecord[], rows: EventRowView[], deadLettered: number[] = []) {
  const auditor = new ProjectionAuditor();
  auditor.comparePartition('t', 0, log, rows, new Set(deadLettered));
  return auditor.findings.map(
    (f) => `${f.kind}@${f.offset}${f.fields.length ? `:${f.fields.join(',')}` : ''}`,
  );
}

describe('ProjectionAuditor', () => {
  const log = records(4);
  const rows = log.map(rowOf);

  it('finds nothing in a faithful projection, duplicates of a replayed row included', () => {
    expect(compare(log, rows)).toEqual([]);
    expect(compare(log, [...rows.slice(0, 2), rows[1], ...rows.slice(2)])).toEqual([]);
  });

  it.each<[keyof EventRowView, unknown]>([
    ['id', '0190f5a2-7c3e-7b1a-9d4e-00000000ffff'],
    ['type', 'run.note_set'],
    ['v', 2],
    ['stream', 'run:other'],
    ['workspace', 'elsewhere'],
    ['actor', 'token:eve'],
    ['onBehalfOf', 'mallory'],
    ['requestDigest', null],
    ['occurredAt', 0],
    ['recordedAt', 1],
    ['prevHash', null],
    ['hash', 'f'.repeat(64)],
    ['payload', '{"runId":"r","tags":{"i":"forged"}}'],
  ])('locates a row whose %s was altered', (field, value) => {
    const altered = rows.map((row, i) => (i === 1 ? { ...row, [field]: value } : row));
    expect(compare(log, altered)).toEqual([`row_altered@12:${field}`]);
  });

  it('locates a deleted row, an inserted one and two swapped', () => {
    expect(
      compare(
        log,
        rows.filter((_, i) => i !== 2),
      ),
    ).toEqual(['row_missing@14']);
    const inserted = [...rows.slice(0, 2), { ...rows[1], offset: 13 }, ...rows.slice(2)];
    expect(compare(log, inserted)).toEqual(['row_without_event@13']);
    const swapped = rows.map((row, i) =>
      i === 1 ? { ...rows[2], offset: row.offset } : i === 2 ? { ...rows[1], offset: row.offset } : row,
    );
    expect(compare(log, swapped)[0]).toMatch(/^row_altered@12:id,.*hash/);
    expect(compare(log, swapped)[1]).toMatch(/^row_altered@14:id,/);
    expect(compare(log, [...rows, { ...rows[0], offset: 99 }])).toEqual(['row_without_event@99']);
  });

  it('expects no row for a record dead-lettered out of the events table', () => {
    expect(
      compare(
        log,
        rows.filter((_, i) => i !== 3),
        [16],
      ),
    ).toEqual([]);
  });

  it('does not compare the summary payload the projector keeps of a metric batch', () => {
    const [record] = log;
    const batch = { ...record, event: { ...record.event, type: 'metrics.logged' } };
    expect(differingFields(batch.event, { ...rowOf(batch), payload: '{"runId":"r","points":3}' })).toEqual(
      [],
    );
  });
});
