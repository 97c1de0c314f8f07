/** Every reader is busy and the queue for one is full: the caller should come back later (503, Retry-After). */
export class StreamReadersBusyError extends Error {
  override readonly name = 'StreamReadersBusyError';
}

export interface SessionPoolOptions<S> {
  open(): S;
  close(session: S): void;
  /** Sessions open at most. */
  size: number;
  /** Acquisitions that may wait for a session; one past them is refused with StreamReadersBusyError. */
  maxWaiting: number;
}

export interface SessionPool<S> {
  /**
   * A session, opened or idle, or the next one released. Rejects with the signal's reason when it is aborted
   * before a session is handed out (the waiter leaves the queue), and when the pool is closed meanwhile.
   */
  acquire(signal?: AbortSignal): Promise<S>;
  release(session: S): void;
  /** Closes idle sessions (busy ones as they are released) and rejects every waiter. */
  close(): void;
  readonly waiting: number;
}

interface Waiter<S> {
  resolve(session: S): void;
  reject(error: unknown): void;
}

/** An AbortError for a signal without a reason of its own, as fetch and streams reject. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('the read was aborted'), { name: 'AbortError' });
}

/**
 * A bounded set of sessions, each handed to one holder at a time, with a bounded FIFO of waiters. A waiter whose
 * reader went away (its signal aborted) is dropped from the queue, so a session is never handed to nobody.
 */
export function sessionPool<S>(options: SessionPoolOptions<S>): SessionPool<S> {
  const idle: S[] = [];
  const waiters: Waiter<S>[] = [];
  let opened = 0;
  let closed = false;
  const closedError = () => new Error('the store is closed');

  const release = (session: S) => {
    const next = waiters.shift();
    if (next) next.resolve(session);
    else if (closed) options.close(session);
    else idle.push(session);
  };

  const acquire = (signal?: AbortSignal): Promise<S> => {
    if (closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const free = idle.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (opened < options.size) {
      opened += 1;
      try {
        return Promise.resolve(options.open());
      } catch (error) {
        opened -= 1;
        return Promise.reject(error);
      }
    }
    if (waiters.length >= options.maxWaiting)
      return Promise.reject(
        new StreamReadersBusyError(`all ${options.size} stream readers are busy and ${waiters.length} wait`),
      );
    return new Promise<S>((resolve, reject) => {
      const onAbort = () => {
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        reject(abortReason(signal!));
      };
      const waiter: Waiter<S> = {
        resolve: (session) => {
          signal?.removeEventListener('abort', onAbort);
          // Aborted in the same turn it was handed one: pass the session on rather than to a reader that left.
          if (signal?.aborted) {
            release(session);
            reject(abortReason(signal));
          } else resolve(session);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  };

  return {
    acquire,
    release,
    close() {
      closed = true;
      for (const session of idle.splice(0)) options.close(session);
      for (const waiter of waiters.splice(0)) waiter.reject(closedError());
    },
    get waiting() {
      return waiters.length;
    },
  };
}
