import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AccessRole } from '../../libs/access/src';
import { TOPICS } from '../../libs/events/src/envelope';
import type { EventEnvelope } from '../../libs/events/src/envelope';
import type { EventLog } from '../../libs/log/src/event-log';

/** One HTTP request of the matrix; a JSON body unless `raw` gives the bytes and their type. */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  raw?: { data: string; contentType: string };
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed when it is JSON, else undefined. */
  json: unknown;
}

/** Who calls: a role's token in `own`, or nobody (no Authorization header). */
export type Caller = AccessRole | 'anonymous';
export const CALLERS: readonly Caller[] = ['anonymous', 'viewer', 'writer', 'approver', 'admin'];

/** The principal each role's token is issued for, which must be the actor of what it writes. */
export const principalOf = (role: AccessRole) => `${role}-user`;

/** The role a caller's token holds (anonymous rows read as a viewer's where a role is named). */
export const roleOf = (caller: Caller) => (caller === 'anonymous' ? 'viewer' : caller);

/** What every write sends, to be ignored: tokens without actOnBehalf may not name another actor. */
export const FORGED_ACTOR = 'mallory';

/** Sends the request with the token (none: anonymous) and, unless `forgeActor` is false, `x-runlog-actor: mallory`. */
export async function call(
  base: string,
  token: string | null,
  request: HttpCall,
  { forgeActor = true } = {},
): Promise<Answer> {
  const hasBody = request.raw !== undefined || request.body !== undefined;
  const response = await fetch(`${base}${request.path}`, {
    method: request.method,
    headers: {
      ...(hasBody ? { 'content-type': request.raw?.contentType ?? 'application/json' } : {}),
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(forgeActor ? { 'x-runlog-actor': FORGED_ACTOR } : {}),
      ...request.headers,
    },
    body: request.raw?.data ?? (request.body === undefined ? undefined : JSON.stringify(request.body)),
  });
  const text = await response.text();
  let json: unknown;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The answer with each of `ids` replaced by `<id>`, to hold an answer about one id equal to one about another. */
export function withoutIds(answer: Pick<Answer, 'status' | 'text'>, ids: readonly string[]) {
  let text = answer.text;
  for (const id of ids) text = text.split(id).join('<id>');
  return { status: answer.status, body: text };
}

/** An id no one made, shaped like the server's (a UUID). */
export const unknownId = () => randomUUID();
export const unknownTokenId = () => randomBytes(8).toString('hex');
export const unknownWorkspace = () => `nowhere-${randomBytes(4).toString('hex')}`;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Runs `work` over `items`, at most `limit` at a time, in order of the results. */
export async function bounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const ALL_TOPICS = Object.values(TOPICS);

/** Where each topic partition of the log ends: unchanged across a request that appends nothing. */
export async function logEnds(log: EventLog): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of ALL_TOPICS) {
    for (const [partition, offset] of await log.endOffsets(topic)) ends.set(`${topic}/${partition}`, offset);
  }
  return ends;
}

/** The events appended between two readings of logEnds. */
export async function appendedBetween(
  log: EventLog,
  before: Map<string, number>,
  after: Map<string, number>,
): Promise<EventEnvelope[]> {
  const events: EventEnvelope[] = [];
  for (const [key, end] of after) {
    const [topic, partition] = [
      key.slice(0, key.lastIndexOf('/')),
      Number(key.slice(key.lastIndexOf('/') + 1)),
    ];
    let from = before.get(key) ?? 0;
    while (from < end) {
      const records = await log.read(topic, partition, from, end - from);
      if (records.length === 0) break;
      for (const record of records) if (record.offset < end) events.push(record.event);
      from = records[records.length - 1].offset + 1;
    }
  }
  return events;
}
