/**
 * A step's outcome. Bad data never throws: it is dropped or dead-lettered with a short snake_case reason,
 * and the step's name is recorded so a dead letter says where it stopped.
 */
export type StepResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'drop'; reason: string }
  | { kind: 'dlq'; reason: string; error: unknown };

export const ok = <T>(value: T): StepResult<T> => ({ kind: 'ok', value });
export const drop = (reason: string): StepResult<never> => ({ kind: 'drop', reason });
export const dlq = (reason: string, error: unknown): StepResult<never> => ({ kind: 'dlq', reason, error });
