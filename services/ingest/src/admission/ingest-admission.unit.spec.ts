import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { IngestAdmission, type IngestAdmissionConfig, type ProjectionLagProbe } from './ingest-admission';

/** A real HTTP server: the admission in front of handlers that finish when the test says so. */
async function serve(config: IngestAdmissionConfig, probe: ProjectionLagProbe | null = null) {
  const admission = new IngestAdmission(config, probe);
  const held: (() => void)[] = [];
  let handled = 0;
  const app = express();
  app.use(admission.middleware());
  app.use((_request, response) => {
    handled += 1;
    held.push(() => response.status(200).json({ ok: true }));
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    admission,
    base,
    handled: () => handled,
    /** Answers every request held so far, and waits until the server has seen them close. */
    async release() {
      for (const answer of held.splice(0)) answer();
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
    async close() {
      admission.stop();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

const post = (base: string, path: string) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ metrics: [{ key: 'loss', steps: [1], values: [0.5] }] }),
  });

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
};

describe('IngestAdmission', () => {
  it('sheds a metric batch past the concurrency limit with 503 and Retry-After, before handling it', async () => {
    const server = await serve({ maxConcurrentBatches: 2, maxProjectionLag: null });
    try {
      const first = [
        post(server.base, '/api/v1/runs/r1/metrics'),
        post(server.base, '/API/V1/runs/r2/metrics/'),
      ];
      await until(() => server.handled() === 2);
      const shed = await post(server.base, '/api/v1/runs/r3/metrics');
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('1');
      expect(await shed.json()).toMatchObject({ error: 'ingest_busy' });
      expect(server.handled()).toBe(2);
      expect(server.admission.stats()).toMatchObject({ inFlight: 2, refusedBusy: 1 });

      await server.release();
      expect((await Promise.all(first)).map((answer) => answer.status)).toEqual([200, 200]);
      expect(server.admission.stats().inFlight).toBe(0);
      const again = post(server.base, '/api/v1/runs/r3/metrics');
      await until(() => server.handled() === 3);
      await server.release();
      expect((await again).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('frees the slot of a batch whose client hung up', async () => {
    const server = await serve({ maxConcurrentBatches: 1, maxProjectionLag: null });
    try {
      const abort = new AbortController();
      const gone = fetch(`${server.base}/api/v1/runs/r1/metrics`, {
        method: 'POST',
        body: '{}',
        signal: abort.signal,
      }).catch(() => null);
      await until(() => server.handled() === 1);
      abort.abort();
      await gone;
      await until(() => server.admission.stats().inFlight === 0);
    } finally {
      await server.close();
    }
  });

  it('never sheds what is not a metric batch: lifecycle writes, reads, other routes', async () => {
    const server = await serve({ maxConcurrentBatches: 1, maxProjectionLag: null });
    try {
      const batch = post(server.base, '/api/v1/runs/r1/metrics');
      await until(() => server.handled() === 1);
      const others = [
        post(server.base, '/api/v1/runs/r1/finish'),
        post(server.base, '/api/v1/runs/r1/metrics/extra'),
        fetch(`${server.base}/api/v1/runs/r1/metrics`),
      ];
      await until(() => server.handled() === 4);
      await server.release();
      expect((await Promise.all([batch, ...others])).map((answer) => answer.status)).toEqual([
        200, 200, 200, 200,
      ]);
    } finally {
      await server.close();
    }
  });

  it('sheds metric batches while the projection is behind its limit, until half of it is left', async () => {
    let lag = 0;
    const server = await serve({ maxConcurrentBatches: 8, maxProjectionLag: 10 }, async () => lag);
    server.admission.start();
    try {
      const admitted = async () => {
        const answer = post(server.base, '/api/v1/runs/r1/metrics');
        await new Promise((resolve) => setTimeout(resolve, 30));
        await server.release();
        return (await answer).status;
      };
      expect(await admitted()).toBe(200);

      lag = 11;
      await until(() => server.admission.stats().projectionLag === 11);
      const shed = await post(server.base, '/api/v1/runs/r1/metrics');
      expect(shed.status).toBe(503);
      expect(await shed.json()).toMatchObject({ error: 'projection_behind' });

      lag = 6; // below the limit, above half of it: still shed
      await until(() => server.admission.stats().projectionLag === 6);
      expect((await post(server.base, '/api/v1/runs/r1/metrics')).status).toBe(503);

      lag = 5;
      await until(() => server.admission.stats().projectionLag === 5);
      expect(await admitted()).toBe(200);
      expect(server.admission.stats().refusedBehind).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('admits when the lag cannot be read: the log bounds its own queue', async () => {
    const server = await serve({ maxConcurrentBatches: 8, maxProjectionLag: 1 }, () =>
      Promise.reject(new Error('broker away')),
    );
    server.admission.start();
    try {
      const answer = post(server.base, '/api/v1/runs/r1/metrics');
      await until(() => server.handled() === 1);
      await server.release();
      expect((await answer).status).toBe(200);
      expect(server.admission.stats().projectionLag).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('refuses a limit below one batch', () => {
    expect(() => new IngestAdmission({ maxConcurrentBatches: 0, maxProjectionLag: null })).toThrow(
      RangeError,
    );
  });
});
