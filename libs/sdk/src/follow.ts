import type { ReadAccess } from './history';

/** A point as a live subscription sends it; value is NaN or ±Infinity where one was logged. */
export interface FollowedPoint {
  step: number;
  value: number;
  timestamp: number;
}

export type FollowEvent =
  | {
      type: 'status';
      runId: string;
      /** queued | running | stale | finished | failed | killed */
      status: string;
      at: number;
      reason: string | null;
      /** The status the run had when following began, as projected (not a change). */
      initial: boolean;
    }
  | {
      type: 'points';
      runId: string;
      key: string;
      /** All points logged since the previous batch of this key, or a downsample of at most maxPoints of them. */
      points: FollowedPoint[];
      received: number;
      downsampled: boolean;
    };

/** The WebSocket constructor to use: the global one (Node 22+, browsers) unless given (e.g. the `ws` package). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocket;

export interface FollowOptions {
  /** Metric keys whose new points to receive; none: only the status. */
  keys?: readonly string[];
  /** Points per key per batch at most (server: 2–10,000, default 1,000); more are downsampled by the server. */
  maxPoints?: number;
  /** A batch at most this often (server: 100–60,000 ms, default 1,000). */
  intervalMs?: number;
  webSocket?: WebSocketConstructor;
  /** Events received and not yet taken by the caller; past this the follow fails instead of growing. */
  maxQueuedEvents?: number;
}

/** The server refused the subscription or dropped it (`code`: e.g. SLOW_SUBSCRIBER, GRAPHQL_VALIDATION_FAILED). */
export class FollowError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly closeCode?: number,
  ) {
    super(message);
  }
}

const PROTOCOL = 'graphql-transport-ws';
const TERMINAL = new Set(['finished', 'failed', 'killed']);
const STATUS = `subscription ($runId: ID!) { runStatusChanged(runId: $runId) { runId status at reason initial } }`;
const POINTS = `subscription ($runId: ID!, $keys: [String!]!, $maxPoints: Int, $intervalMs: Int) {
  metricPoints(runId: $runId, keys: $keys, maxPoints: $maxPoints, intervalMs: $intervalMs) {
    runId series { key received downsampled points { step value timestamp } } } }`;

interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

interface StatusData {
  runStatusChanged: Omit<Extract<FollowEvent, { type: 'status' }>, 'type'>;
}

interface PointsData {
  metricPoints: {
    runId: string;
    series: { key: string; received: number; downsampled: boolean; points: FollowedPoint[] }[];
  };
}

type Message =
  | { type: 'connection_ack' | 'ping' | 'pong' }
  | { type: 'next'; id: string; payload: { data?: unknown; errors?: GraphqlError[] } }
  | { type: 'error'; id: string; payload: GraphqlError[] }
  | { type: 'complete'; id: string };

function toFollowError(errors: GraphqlError[]): FollowError {
  const code = errors[0]?.extensions?.code ?? 'ERROR';
  return new FollowError(errors.map((error) => error.message).join('; '), code);
}

/**
 * A live run over graphql-ws (protocol graphql-transport-ws) on the gateway's /graphql: its status as following
 * begins and each change, and the new points of `keys`, until the run ends; then the iteration ends, after every
 * point logged before the end. Breaking out of the loop closes the socket.
 */
export async function* followRun(
  access: ReadAccess,
  runId: string,
  options: FollowOptions = {},
): AsyncGenerator<FollowEvent> {
  const Socket = options.webSocket ?? globalThis.WebSocket;
  if (!Socket)
    throw new TypeError('follow needs a WebSocket: Node 22+, or pass options.webSocket (the ws package)');
  const maxQueued = options.maxQueuedEvents ?? 10_000;
  const url = `${access.baseUrl.replace(/^http/, 'ws')}/graphql`;
  const socket = new Socket(url, PROTOCOL);
  const events: FollowEvent[] = [];
  const active = new Set<string>();
  let failure: FollowError | null = null;
  let done = false;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const fail = (error: FollowError) => {
    failure ??= error;
    notify();
  };
  const send = (message: object) => socket.send(JSON.stringify(message));
  const subscribe = (id: string, query: string, variables: object) => {
    active.add(id);
    send({ id, type: 'subscribe', payload: { query, variables } });
  };
  const completed = (id: string) => {
    active.delete(id);
    if (active.size === 0) {
      done = true;
      notify();
    }
  };
  const push = (event: FollowEvent) => {
    if (events.length >= maxQueued) {
      fail(new FollowError(`${maxQueued} events wait to be taken: iterate faster`, 'CLIENT_QUEUE_FULL'));
      return;
    }
    events.push(event);
    notify();
  };
  const onNext = (id: string, data: unknown) => {
    if (id === 'status') {
      const change = (data as StatusData).runStatusChanged;
      push({ type: 'status', ...change });
      // A run that had ended before following began sends no more points: stop waiting for them.
      if (change.initial && TERMINAL.has(change.status) && active.has('points')) {
        send({ id: 'points', type: 'complete' });
        completed('points');
      }
      return;
    }
    const batch = (data as PointsData).metricPoints;
    for (const series of batch.series) {
      const points = series.points.map((point) => ({ ...point, value: Number(point.value) }));
      push({ type: 'points', runId: batch.runId, ...series, points });
    }
  };

  // A browser's WebSocket cannot send headers: the credential goes in the init payload (graphql-ws connectionParams).
  const authorization = access.headers.authorization;
  socket.onopen = () =>
    send({ type: 'connection_init', payload: authorization !== undefined ? { authorization } : {} });
  socket.onerror = () => fail(new FollowError(`WebSocket to ${url} failed`, 'NETWORK_ERROR'));
  socket.onclose = (event) => {
    if (!done)
      fail(
        new FollowError(`socket closed: ${event.code} ${event.reason}`, event.reason || 'CLOSED', event.code),
      );
  };
  // A listener's throw would be uncaught in the caller's process: a frame we cannot read ends the follow instead.
  socket.onmessage = (event) => {
    try {
      handle(JSON.parse(String(event.data)) as Message);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      fail(new FollowError(`unreadable message from the server: ${why}`, 'PROTOCOL_ERROR'));
      if (socket.readyState === socket.OPEN) socket.close(4400, 'Unreadable message');
    }
  };
  const handle = (message: Message) => {
    switch (message.type) {
      case 'connection_ack':
        // Points first: by the time the status answers (it reads the store), both are registered.
        if (options.keys?.length) {
          subscribe('points', POINTS, {
            runId,
            keys: options.keys,
            maxPoints: options.maxPoints,
            intervalMs: options.intervalMs,
          });
        }
        subscribe('status', STATUS, { runId });
        return;
      case 'ping':
        send({ type: 'pong' });
        return;
      case 'next':
        if (message.payload.errors?.length) fail(toFollowError(message.payload.errors));
        else onNext(message.id, message.payload.data);
        return;
      case 'error':
        fail(toFollowError(message.payload));
        return;
      case 'complete':
        completed(message.id);
        return;
    }
  };

  try {
    for (;;) {
      const event = events.shift();
      if (event) yield event;
      else if (failure) throw failure;
      else if (done) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(1000);
  }
}
