/** One request a client sends for a run, retried with the same body (so the same event id) until it lands. */
export interface Operation {
  path: string;
  body: unknown;
  points: number;
  method?: 'POST' | 'PUT';
  raw?: Buffer;
  /** A local file sent as the body, streamed from disk afresh on every attempt: never held in memory. */
  file?: string;
  contentType?: string;
  /** One attempt, failures ignored: for heartbeats, which the next one replaces. */
  once?: boolean;
  done?: (answer: unknown) => void;
  failed?: (error: Error) => void;
}
