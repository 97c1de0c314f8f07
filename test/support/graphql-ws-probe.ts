import WebSocket from 'ws';

/** A message of the graphql-transport-ws protocol as the server sent it. */
export interface ServerMessage {
  type: string;
  id?: string;
  payload?: unknown;
}

/**
 * A bare graphql-ws client for tests: it speaks the protocol by hand, keeps every message, and can stop
 * reading (`pause`) as a stalled dashboard would.
 */
export class GraphqlWsProbe {
  readonly messages: ServerMessage[] = [];
  /** Set once the socket closed. */
  closed: { code: number; reason: string } | null = null;
  private constructor(private readonly socket: WebSocket) {}

  /**
   * Opens and initialises a connection; `connectionParams` is the init payload (where a token goes), and with
   * `awaitAck: false` the caller waits for the answer itself (a refused credential closes the socket with 4403).
   */
  static async open(
    base: string,
    options: { connectionParams?: Record<string, unknown>; awaitAck?: boolean } = {},
  ): Promise<GraphqlWsProbe> {
    const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const probe = new GraphqlWsProbe(socket);
    socket.on('message', (data) => probe.messages.push(JSON.parse(String(data)) as ServerMessage));
    socket.on('close', (code, reason) => (probe.closed = { code, reason: reason.toString() }));
    socket.send(JSON.stringify({ type: 'connection_init', payload: options.connectionParams ?? {} }));
    if (options.awaitAck ?? true) await probe.waitFor((message) => message.type === 'connection_ack');
    return probe;
  }

  subscribe(id: string, query: string, variables: Record<string, unknown> = {}): void {
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
  }

  /** Ends a subscription from the client's side. */
  complete(id: string): void {
    this.socket.send(JSON.stringify({ id, type: 'complete' }));
  }

  /** The first message (from the start) that matches, waiting for it up to `timeoutMs`. */
  async waitFor(match: (message: ServerMessage) => boolean, timeoutMs = 15_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no such message within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 500)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops reading from the TCP socket: the kernel's buffers fill, then the server's sends stop completing. */
  pause(): void {
    // ws's own pause, not the TCP socket's alone: ws resumes the socket when its receiver drains, unless the
    // WebSocket itself is paused, so a bare tcp.pause() could be undone mid-message and the client read on.
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  async waitForClose(timeoutMs = 30_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`socket still open after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.closed;
  }

  close(): void {
    this.socket.terminate();
  }
}
