import { sessionPool, StreamReadersBusyError } from './session-pool';

/**
 * The pool the chDB stream sessions are handed out from (chdb-streams.ts): bounded sessions, a bounded queue of
 * waiters, readers that leave while they wait, and a close that leaves nobody waiting.
 */
interface FakeSession {
  id: number;
  closed: boolean;
}

function pool(size = 1, maxWaiting = 2) {
  const opened: FakeSession[] = [];
  const sessions = sessionPool<FakeSession>({
    open: () => {
      const session = { id: opened.length + 1, closed: false };
      opened.push(session);
      return session;
    },
    close: (session) => {
      session.closed = true;
    },
    size,
    maxWaiting,
  });
  return { sessions, opened };
}

/** How a promise stands after the microtasks queued so far have run. */
async function state<T>(promise: Promise<T>): Promise<'pending' | 'resolved' | 'rejected'> {
  let settled: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (settled = 'resolved'),
    () => (settled = 'rejected'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('the stream session pool', () => {
  it('opens up to its size, then hands a released session to the first waiter', async () => {
    const { sessions, opened } = pool(2);
    const a = await sessions.acquire();
    const b = await sessions.acquire();
    const waiting = sessions.acquire();
    expect(await state(waiting)).toBe('pending');
    sessions.release(b);
    expect(await waiting).toBe(b);
    expect(opened).toHaveLength(2);
    sessions.release(a);
    expect(await sessions.acquire()).toBe(a);
  });

  it('refuses an acquisition past the bounded queue with StreamReadersBusyError', async () => {
    const { sessions } = pool(1, 2);
    await sessions.acquire();
    const queued = [sessions.acquire(), sessions.acquire()];
    expect(sessions.waiting).toBe(2);
    await expect(sessions.acquire()).rejects.toBeInstanceOf(StreamReadersBusyError);
    expect(sessions.waiting).toBe(2);
    for (const waiter of queued) expect(await state(waiter)).toBe('pending');
  });

  it('gives no session to a reader that already left', async () => {
    const { sessions, opened } = pool(1);
    const gone = AbortSignal.abort();
    await expect(sessions.acquire(gone)).rejects.toMatchObject({ name: 'AbortError' });
    expect(opened).toHaveLength(0);
  });

  it('drops a waiter whose reader leaves, freeing its place and passing the session on', async () => {
    const { sessions } = pool(1, 1);
    const held = await sessions.acquire();
    const leaving = new AbortController();
    const left = sessions.acquire(leaving.signal);
    leaving.abort();
    await expect(left).rejects.toMatchObject({ name: 'AbortError' });
    expect(sessions.waiting).toBe(0);
    // Its place in the queue is free again, and the released session goes to the one still waiting.
    const staying = sessions.acquire();
    sessions.release(held);
    expect(await staying).toBe(held);
  });

  it('hands a waiter its session when its reader leaves only afterwards (the stream then releases it)', async () => {
    const { sessions } = pool(1, 2);
    const held = await sessions.acquire();
    const leaving = new AbortController();
    const left = sessions.acquire(leaving.signal);
    const next = sessions.acquire();
    // Released, then aborted before the waiter's continuation runs: chdb-streams checks the signal again.
    sessions.release(held);
    leaving.abort();
    expect(await left).toBe(held);
    expect(await state(next)).toBe('pending');
  });

  it('rejects every waiter on close and closes idle sessions and released ones', async () => {
    const { sessions, opened } = pool(2, 5);
    const a = await sessions.acquire();
    const b = await sessions.acquire();
    sessions.release(b);
    await sessions.acquire();
    const waiters = [sessions.acquire(), sessions.acquire()];
    sessions.close();
    for (const waiter of waiters) await expect(waiter).rejects.toThrow('the store is closed');
    expect(sessions.waiting).toBe(0);
    sessions.release(a);
    expect(opened.map((session) => session.closed)).toEqual([true, false]);
    await expect(sessions.acquire()).rejects.toThrow('the store is closed');
  });
});
