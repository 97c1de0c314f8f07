import { sealEvent, type EventEnvelope } from '../../events/src/envelope';
import type { LogRecord } from '../../log/src/event-log';
import { chainIntact, MissingRecordError, readRecorded } from './recorded-events';

function chain(count: number): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  for (let i = 0; i < count; i++) {
    events.push(
      sealEvent(
        {
          id: `0190f5a2-7c3e-7b1a-9d4e-${String(i).padStart(12, '0')}`,
          type: 'run.tags_set',
          v: 1,
          workspace: 'w',
          actor: 'token:a',
          occurredAt: '2026-01-01T00:00:00.000Z',
          payload: { runId: 'r', tags: { i: String(i) } },
        },
        'run:r',
        events[i - 1]?.hash ?? null,
        '2026-01-01T00:00:00.001Z',
      ),
    );
  }
  return events;
}

describe('chainIntact', () => {
  const events = chain(4);

  it('holds for a stream from its start, and for a window whose first link is not checked', () => {
    expect(chainIntact(events, true)).toBe(true);
    expect(chainIntact(events.slice(2), false)).toBe(true);
    expect(chainIntact(events.slice(2), true)).toBe(false);
    expect(chainIntact([], true)).toBe(true);
  });

  it('fails on an edited event, a gap and a swap', () => {
    expect(chainIntact([events[0], { ...events[1], actor: 'token:eve' }, events[2]], true)).toBe(false);
    expect(chainIntact([events[0], events[2]], true)).toBe(false);
    expect(chainIntact([events[0], events[2], events[1]], true)).toBe(false);
  });
});

describe('readRecorded', () => {
  const events = chain(5);
  const records: LogRecord[] = events.map((event, i) => ({
    topic: 't',
    partition: 0,
    offset: 10 + i * 3,
    key: event.stream,
    event,
  }));
  // A log that answers like both adapters: the first record at or after the offset asked.
  const log = {
    read: async (_topic: string, _partition: number, from: number, max: number) =>
      records.filter((record) => record.offset >= from).slice(0, max),
  };

  it('reads each position back, in the order asked, a few at a time', async () => {
    const positions = [...records]
      .reverse()
      .map(({ topic, partition, offset }) => ({ topic, partition, offset }));
    const read = await readRecorded(log, positions, 2);
    expect(read.map((record) => record.offset)).toEqual(positions.map((p) => p.offset));
  });

  it('refuses a position where the log holds no record, naming it', async () => {
    await expect(readRecorded(log, [{ topic: 't', partition: 0, offset: 11 }])).rejects.toEqual(
      new MissingRecordError({ topic: 't', partition: 0, offset: 11 }),
    );
    await expect(readRecorded(log, [{ topic: 't', partition: 0, offset: 99 }])).rejects.toThrow(
      'the log holds no record at t/0 offset 99',
    );
  });
});
