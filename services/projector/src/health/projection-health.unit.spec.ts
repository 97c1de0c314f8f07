import type { EventLog } from '../../../../libs/log/src/event-log';
import { ProjectionHealth } from './projection-health';

/** A log whose end and committed position the test moves; only the two offset reads are used. */
function logAt(position: { end: number; committed: number }, stuck?: { topic: string }): EventLog {
  return {
    endOffsets: async () => new Map([[0, position.end]]),
    committedOffsets: async (_group: string, topic: string) =>
      new Map([[0, topic === stuck?.topic ? 0 : position.committed]]),
  } as unknown as EventLog;
}

describe('ProjectionHealth', () => {
  const position = { end: 10, committed: 4 };
  let now = 0;
  const health = () =>
    new ProjectionHealth({ log: logAt(position), groupId: 'g', stallMs: 60_000, now: () => now });

  beforeEach(() => {
    now = 1_000;
    position.end = 10;
    position.committed = 4;
  });

  it('reports lag per topic and no stall while the position moves', async () => {
    const subject = health();
    const first = await subject.report();
    expect(first.lag.map((entry) => entry.lag)).toEqual([6, 6, 6]);
    now += 59_000;
    position.committed = 5;
    expect(await subject.report()).toMatchObject({ stalled: false, stalledForMs: 0, degraded: false });
  });

  it('is degraded once the position has not moved for the stall time while there is lag', async () => {
    const subject = health();
    await subject.report();
    now += 60_001;
    expect(await subject.report()).toMatchObject({ stalled: true, stalledForMs: 60_001, degraded: true });
  });

  it('a caught-up projector that reads nothing new is not stalled', async () => {
    position.committed = 10;
    const subject = health();
    await subject.report();
    now += 600_000;
    expect(await subject.report()).toMatchObject({ stalled: false, degraded: false });
  });

  it('is stalled when one partition is stuck behind a record while the others advance', async () => {
    const subject = new ProjectionHealth({
      log: logAt(position, { topic: 'runlog.lifecycle' }),
      groupId: 'g',
      stallMs: 60_000,
      now: () => now,
    });
    await subject.report();
    for (let minute = 0; minute < 2; minute++) {
      now += 40_000;
      position.committed += 1;
      position.end += 1;
      await subject.report();
    }
    expect(await subject.report()).toMatchObject({ stalled: true, stalledForMs: 80_000, degraded: true });
  });
});
