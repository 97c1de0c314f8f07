import { RunWriteGate } from './run-write-gate';

/** A promise and the function that settles it, so a test decides when each holder finishes. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('RunWriteGate', () => {
  it('lets metric appends of a run run together', async () => {
    const gate = new RunWriteGate();
    const release = deferred();
    let inside = 0;
    const holders = [1, 2, 3].map(() =>
      gate.shared('r', async () => {
        inside += 1;
        await release.promise;
      }),
    );
    await turn();
    expect(inside).toBe(3);
    release.resolve();
    await Promise.all(holders);
  });

  it('starts an ending only after the appends in flight, and holds back appends that come meanwhile', async () => {
    const gate = new RunWriteGate();
    const order: string[] = [];
    const first = deferred();
    const inFlight = gate.shared('r', async () => {
      order.push('batch 1 in');
      await first.promise;
      order.push('batch 1 out');
    });
    await turn();
    const ending = gate.exclusive('r', async () => {
      order.push('finish');
    });
    const late = gate.shared('r', async () => {
      order.push('batch 2');
    });
    await turn();
    expect(order).toEqual(['batch 1 in']);
    first.resolve();
    await Promise.all([inFlight, ending, late]);
    expect(order).toEqual(['batch 1 in', 'batch 1 out', 'finish', 'batch 2']);
  });

  it('keeps runs apart', async () => {
    const gate = new RunWriteGate();
    const hold = deferred();
    const ending = gate.exclusive('a', () => hold.promise);
    let other = false;
    await gate.shared('b', async () => {
      other = true;
    });
    expect(other).toBe(true);
    hold.resolve();
    await ending;
  });

  it('releases on failure and forgets idle runs', async () => {
    const gate = new RunWriteGate();
    await expect(
      gate.exclusive('r', async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await expect(gate.shared('r', async () => 'after')).resolves.toBe('after');
    expect(gate.size).toBe(0);
  });

  it('serves waiters in arrival order, waking consecutive appends together', async () => {
    const gate = new RunWriteGate();
    const order: string[] = [];
    const hold = deferred();
    const first = gate.exclusive('r', async () => {
      await hold.promise;
      order.push('kill');
    });
    const waiting = [
      gate.shared('r', async () => void order.push('a')),
      gate.shared('r', async () => void order.push('b')),
      gate.exclusive('r', async () => void order.push('delete')),
      gate.shared('r', async () => void order.push('c')),
    ];
    hold.resolve();
    await Promise.all([first, ...waiting]);
    expect(order).toEqual(['kill', 'a', 'b', 'delete', 'c']);
    expect(gate.size).toBe(0);
  });
});
