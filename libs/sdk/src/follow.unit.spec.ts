import { FollowError, followRun, type FollowEvent, type WebSocketConstructor } from './follow';
import type { ReadAccess } from './history';

/** A WebSocket whose server is the test: it opens at once, records what is sent, and receives frames on demand. */
class FakeSocket {
  static last: FakeSocket | null = null;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readyState = 0;
  readonly sent: { type: string; id?: string }[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.last = this;
    queueMicrotask(() => {
      this.readyState = this.OPEN;
      this.onopen?.({});
    });
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as { type: string; id?: string });
  }

  close(code?: number, reason?: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.readyState = 3;
    this.onclose?.({ code: code ?? 1005, reason: reason ?? '' });
  }

  /** A frame from the server, as the WebSocket's listener gets it. */
  receive(data: string): void {
    this.onmessage?.({ data });
  }
}

const access: ReadAccess = { baseUrl: 'http://runlog.test', fetch, headers: {} };
const STATUS = { runId: 'r1', status: 'running', at: 1, reason: null, initial: true };

async function opened(): Promise<FakeSocket> {
  for (let i = 0; i < 10 && !FakeSocket.last?.sent.length; i++) await Promise.resolve();
  const socket = FakeSocket.last;
  if (!socket) throw new Error('no socket opened');
  return socket;
}

/** Follows until the iteration ends or fails: the events it yielded, and what it failed with. */
async function follow(events: FollowEvent[]): Promise<unknown> {
  const iteration = followRun(access, 'r1', { webSocket: FakeSocket as unknown as WebSocketConstructor });
  try {
    for await (const event of iteration) events.push(event);
    return null;
  } catch (error) {
    return error;
  }
}

describe('followRun', () => {
  beforeEach(() => (FakeSocket.last = null));

  it.each([
    ['a frame that is not JSON', '{"type":"next",'],
    ['JSON that is not a message', 'null'],
    ['a next without its payload', '{"type":"next","id":"status"}'],
    ['an error whose payload is not a list', '{"type":"error","id":"status","payload":{"message":"x"}}'],
  ])(
    'ends with PROTOCOL_ERROR on %s, closing the socket, without throwing in its listener',
    async (_, frame) => {
      const events: FollowEvent[] = [];
      const ended = follow(events);
      const socket = await opened();
      socket.receive(JSON.stringify({ type: 'connection_ack' }));
      expect(socket.sent.map((message) => message.type)).toEqual(['connection_init', 'subscribe']);
      socket.receive(
        JSON.stringify({ type: 'next', id: 'status', payload: { data: { runStatusChanged: STATUS } } }),
      );
      expect(() => socket.receive(frame)).not.toThrow();
      const error = await ended;
      expect(error).toBeInstanceOf(FollowError);
      expect(error).toMatchObject({ code: 'PROTOCOL_ERROR' });
      // What came before the bad frame was delivered.
      expect(events).toEqual([{ type: 'status', ...STATUS }]);
      expect(socket.closedWith).toEqual({ code: 4400, reason: 'Unreadable message' });
    },
  );

  it('ends when the run does, after the status that says so', async () => {
    const events: FollowEvent[] = [];
    const ended = follow(events);
    const socket = await opened();
    socket.receive(JSON.stringify({ type: 'connection_ack' }));
    const finished = { ...STATUS, status: 'finished', initial: false };
    socket.receive(
      JSON.stringify({ type: 'next', id: 'status', payload: { data: { runStatusChanged: finished } } }),
    );
    socket.receive(JSON.stringify({ type: 'complete', id: 'status' }));
    expect(await ended).toBeNull();
    expect(events).toEqual([{ type: 'status', ...finished }]);
  });
});
