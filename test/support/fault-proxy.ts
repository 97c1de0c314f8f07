import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a FaultProxy did, by kind. */
export interface FaultCounts {
  forwarded: number;
  /** The connection was cut before the request reached the server. */
  refused: number;
  /** 503 with Retry-After, without forwarding. */
  busy: number;
  /** The server took the request; its answer was cut on the way back (the client must retry with the same id). */
  answerLost: number;
  /** No server behind the proxy (it was restarting): 502. */
  upstreamDown: number;
  metricBatches: number;
}

export interface FaultProxy {
  base: string;
  counts: FaultCounts;
  /** Points the proxy at another server (a restarted one listens on a new port); null while there is none. */
  setUpstream(base: string | null): void;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of a real server that fails like a bad network, each fault with probability `rate`: a
 * connection cut before forwarding, a 503 with `Retry-After: 1`, or the answer cut after the server processed the
 * request. Bodies stream through both ways, so a multi-megabyte artifact upload is not held in memory.
 */
export async function startFaultProxy(upstream: string, rate = 0.04): Promise<FaultProxy> {
  let target: URL | null = new URL(upstream);
  const counts: FaultCounts = {
    forwarded: 0,
    refused: 0,
    busy: 0,
    answerLost: 0,
    upstreamDown: 0,
    metricBatches: 0,
  };
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const fault = Math.random();
    if (fault < rate) {
      counts.refused += 1;
      incoming.socket.destroy();
      return;
    }
    if (fault < 2 * rate) {
      counts.busy += 1;
      incoming.resume();
      outgoing.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
      outgoing.end('{"message":"injected: busy"}');
      return;
    }
    const cutAnswer = fault < 3 * rate;
    if (!target) {
      counts.upstreamDown += 1;
      incoming.resume();
      outgoing.writeHead(502).end();
      return;
    }
    if (incoming.url?.endsWith('/metrics')) counts.metricBatches += 1;
    const forwarded = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        if (cutAnswer) {
          counts.answerLost += 1;
          answer.resume();
          answer.on('end', () => incoming.socket.destroy());
          return;
        }
        counts.forwarded += 1;
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => {
      counts.upstreamDown += 1;
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    counts,
    setUpstream(base) {
      target = base === null ? null : new URL(base);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
