import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';

/**
 * Several ingest processes on one Kafka cluster, each stream with exactly one writer: the process that owns it.
 * Kafka has no compare-and-append, so expected versions, hash chains and event-id dedup are kept by the writer in
 * memory (libs/log/src/kafka-event-log.ts) and are exact only if no other process writes the same stream.
 *
 * Ownership is static: `peers` lists every ingest process's base URL in the same order everywhere, and a run (its
 * lifecycle stream and its metrics stream) or an experiment belongs to peers[hash(id) % peers.length]. A request
 * reaching another process is forwarded to the owner as it is, headers that name the caller included; a client
 * may therefore talk to any ingest process, and a retry landing elsewhere than its first try is still deduplicated
 * by the owner. While an owner is down its streams answer 503 (clients retry); the others go on. Changing the list
 * moves ownership, so every ingest process must restart with the new list together (a StatefulSet's ordinals
 * give the positions). Reads of streams owned elsewhere (a run's experiment) see every acknowledged write because
 * the log catches up with the lifecycle topic before it reads (KafkaEventLog followTopics).
 */
export interface IngestRouting {
  /** Base URLs of all ingest processes, this one included; empty or one entry: no routing. */
  peers: string[];
  /** This process's position in `peers`. */
  self: number;
}

export const INGEST_ROUTING = Symbol('INGEST_ROUTING');

/** Set on a forwarded request: its receiver must own the stream, or the peers' lists disagree. */
export const FORWARDED_HEADER = 'x-runlog-forwarded-by';
// The owner authenticates the request again: every process knows the same tokens, from the log.
const PASSED_HEADERS = ['authorization', 'x-runlog-workspace', 'x-runlog-actor'];
const FORWARD_TIMEOUT_MS = 60_000;

/** FNV-1a over UTF-16 code units: stable across processes and versions, unlike anything seeded. */
export function ownerOf(key: string, peers: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % peers;
}

/** The owner's answer to a forwarded request that was not a success: written back to the client verbatim. */
export class ForwardedAnswer extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`owner answered ${status}`);
  }
}

/** This process could not reach the stream's owner, or the peers disagree on who owns it: retry later. */
export class OwnerUnavailableError extends Error {
  readonly code = 'owner_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

@Injectable()
export class IngestRouter {
  constructor(@Inject(INGEST_ROUTING) private readonly routing: IngestRouting) {}

  /**
   * Runs `local` when this process owns `key`, else sends the request (with `body`, the validated body whose ids
   * are resolved) to the owner and returns its answer; `forwardPath` names another route of the owner, POSTed to.
   */
  async route<T>(
    key: string,
    request: Request,
    body: unknown,
    local: () => Promise<T>,
    forwardPath: string = request.originalUrl,
  ): Promise<T> {
    const { peers, self } = this.routing;
    if (peers.length <= 1) return local();
    const owner = ownerOf(key, peers.length);
    if (owner === self) return local();
    if (request.headers[FORWARDED_HEADER] !== undefined) {
      throw new OwnerUnavailableError(
        `ingest ${self} was sent ${key} by ingest ${String(request.headers[FORWARDED_HEADER])} but does not own it; ` +
          'the ingest processes disagree on RUNLOG_INGEST_PEERS',
      );
    }
    // The forwarded body is always the validated JSON, whatever the original request carried (an upload's file).
    const headers: Record<string, string> = {
      [FORWARDED_HEADER]: String(self),
      'content-type': 'application/json',
    };
    for (const name of PASSED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${peers[owner]}${forwardPath}`, {
        method: forwardPath === request.originalUrl ? request.method : 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new OwnerUnavailableError(
        `ingest ${owner} (${peers[owner]}), which owns ${key}, did not answer`,
        {
          cause: error,
        },
      );
    }
    let answer: unknown;
    try {
      answer = text ? JSON.parse(text) : {};
    } catch (error) {
      // Not the owner's JSON: a proxy or a half-started process answered.
      throw new OwnerUnavailableError(
        `ingest ${owner} (${peers[owner]}) answered ${response.status} without JSON`,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) throw new ForwardedAnswer(response.status, answer);
    return answer as T;
  }
}
