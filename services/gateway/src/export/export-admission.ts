import { DomainError } from '../../../../libs/domain/src/errors';

/** As many exports as the process streams at once: one more is refused with 503 and Retry-After. */
export class ExportBusyError extends DomainError {
  readonly code = 'export_busy';
}

export const DEFAULT_EXPORT_MAX_CONCURRENT = 4;
export const EXPORT_MAX_CONCURRENT_ENV = 'RUNLOG_EXPORT_MAX_CONCURRENT';

/**
 * The exports a process streams at once (RUNLOG_EXPORT_MAX_CONCURRENT, 4 by default). An export holds its read
 * from ClickHouse (a socket of the server's stream client, or one of chDB's stream sessions) for as long as its
 * client reads, at the client's pace; the cap keeps slow readers from taking every one, and refuses the next at
 * once rather than letting it wait without end.
 */
export function exportMaxConcurrentOf(env: NodeJS.ProcessEnv): number {
  const text = env[EXPORT_MAX_CONCURRENT_ENV];
  if (text === undefined || text === '') return DEFAULT_EXPORT_MAX_CONCURRENT;
  const value = Number(text);
  if (!/^\d{1,6}$/.test(text) || value < 1)
    throw new Error(`${EXPORT_MAX_CONCURRENT_ENV} must be a whole number of at least 1, not "${text}"`);
  return value;
}

/** Slots for the exports in progress: taken before an export is planned, given back once its answer ends. */
export class ExportSlots {
  private taken = 0;

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.taken;
  }

  /** A slot (its release, which is idempotent), or ExportBusyError when every one is taken. */
  take(): () => void {
    if (this.taken >= this.max)
      throw new ExportBusyError(`${this.max} exports are in progress, the most this server streams at once`);
    this.taken += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.taken -= 1;
    };
  }
}
