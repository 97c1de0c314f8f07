import { Injectable } from '@nestjs/common';

interface GateState {
  /** Metric appends in flight. */
  shared: number;
  /** Whether an ending (finish, fail, kill, delete) holds the run. */
  exclusive: boolean;
  waiting: { exclusive: boolean; wake: () => void }[];
}

/**
 * Orders a run's writes across its two streams (`run:<id>` on the lifecycle topic, `metrics:<id>` on the metrics
 * topic), which no single expected version covers. Metric batches pass together; a command that ends the run waits
 * for the batches in flight and holds back new ones, which then read the ended run and are refused. So no point is
 * appended after the run's ending. Writers are preferred (a steady stream of batches cannot starve a finish), and a
 * run's entry lives only while someone holds or waits for it. The process is the run's one writer (ingest
 * ownership, services/ingest/src/ingest-router.ts), so an in-process gate is enough.
 */
@Injectable()
export class RunWriteGate {
  private readonly gates = new Map<string, GateState>();

  /** Runs `work` alongside other metric appends of the run, but never alongside an ending. */
  shared<T>(runId: string, work: () => Promise<T>): Promise<T> {
    return this.hold(runId, false, work);
  }

  /** Runs `work` alone: after every metric append in flight, before any that arrives meanwhile. */
  exclusive<T>(runId: string, work: () => Promise<T>): Promise<T> {
    return this.hold(runId, true, work);
  }

  /** Runs held or waited for, for tests and health: it returns to 0 when the gate is idle. */
  get size(): number {
    return this.gates.size;
  }

  private async hold<T>(runId: string, exclusive: boolean, work: () => Promise<T>): Promise<T> {
    const gate = this.gates.get(runId) ?? { shared: 0, exclusive: false, waiting: [] };
    this.gates.set(runId, gate);
    if (!canEnter(gate, exclusive)) {
      await new Promise<void>((wake) => gate.waiting.push({ exclusive, wake }));
    } else {
      enter(gate, exclusive);
    }
    try {
      return await work();
    } finally {
      this.leave(runId, gate, exclusive);
    }
  }

  private leave(runId: string, gate: GateState, exclusive: boolean): void {
    if (exclusive) gate.exclusive = false;
    else gate.shared -= 1;
    // Wake the queue's head, and with a shared head every shared waiter up to the next exclusive one.
    while (gate.waiting.length > 0 && canEnter(gate, gate.waiting[0].exclusive, true)) {
      const next = gate.waiting[0];
      gate.waiting.shift();
      enter(gate, next.exclusive);
      next.wake();
      if (next.exclusive) break;
    }
    if (gate.shared === 0 && !gate.exclusive && gate.waiting.length === 0) this.gates.delete(runId);
  }
}

function canEnter(gate: GateState, exclusive: boolean, fromQueue = false): boolean {
  if (gate.exclusive) return false;
  if (exclusive) return gate.shared === 0 && (fromQueue || gate.waiting.length === 0);
  // A shared entrant queues behind any waiting ending (writer preference).
  return fromQueue || gate.waiting.length === 0;
}

function enter(gate: GateState, exclusive: boolean): void {
  if (exclusive) gate.exclusive = true;
  else gate.shared += 1;
}
