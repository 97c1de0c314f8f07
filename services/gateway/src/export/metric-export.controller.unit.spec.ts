import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { localOwner, type AuthenticatedRequest } from '../../../../libs/access/src';
import type { ExportPosition, StreamFormat } from '../../../../libs/store/src';
import { ExportSlots } from './export-admission';
import type { ExportRequest } from './export-request';
import { MAX_LINK_HEADER_LENGTH, MetricExportController } from './metric-export.controller';
import { MetricExportService, type ExportPageStream } from './metric-export.service';

/**
 * The export's HTTP edge over a scripted store: the POST form, the Link header's bound, and the cap on exports in
 * progress (503 with Retry-After past it, the slot freed when an export ends or its client leaves).
 */
const NEXT: ExportPosition = { runId: 'r', key: 'loss', step: '1', timestamp: '2', worker: 'rank-1' };

interface Script {
  asked: ExportRequest[];
  /** Pages answer their first chunk, then wait for this (or their client leaving) before they end. */
  hold: Promise<void>;
}

function fakeExports(maxConcurrent: number, script: Script): MetricExportService {
  const service = Object.create(MetricExportService.prototype) as MetricExportService;
  Object.assign(service, {
    slots: new ExportSlots(maxConcurrent),
    openPage(request: ExportRequest, _format: StreamFormat, signal: AbortSignal): Promise<ExportPageStream> {
      script.asked.push(request);
      async function* body(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('"run_id"\n');
        await Promise.race([
          script.hold,
          new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true })),
        ]);
        yield Buffer.from('"r"\n');
      }
      return Promise.resolve({ next: NEXT, body: body() });
    },
  });
  return service;
}

async function startEdge(
  maxConcurrent: number,
  script: Script,
): Promise<{ app: INestApplication; base: string }> {
  @Module({
    controllers: [MetricExportController],
    providers: [{ provide: MetricExportService, useValue: fakeExports(maxConcurrent, script) }],
  })
  class EdgeModule {}
  const app = await NestFactory.create(EdgeModule, { logger: false });
  // What the access middleware does in the process: every request arrives with its principal.
  app.use((request: AuthenticatedRequest, _response: unknown, next: () => void) => {
    request.principal = localOwner('local:test');
    next();
  });
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

const post = (base: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${base}/api/v1/metrics/export`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/csv' },
    body: JSON.stringify(body),
    signal,
  });

describe('the export endpoint', () => {
  let app: INestApplication;
  let base = '';
  let script: Script;
  let finish: () => void;

  beforeEach(async () => {
    let resolve!: () => void;
    script = { asked: [], hold: new Promise<void>((done) => (resolve = done)) };
    finish = resolve;
    ({ app, base } = await startEdge(2, script));
  });
  afterEach(async () => {
    finish();
    await app.close();
  });

  it('takes 1,000 runs of UUID length by POST, with the cursor header and no Link past its bound', async () => {
    finish();
    const runIds = Array.from({ length: 1_000 }, () => randomUUID());
    const response = await post(base, { runIds, keys: ['loss'], limit: 10 });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('"run_id"\n"r"\n');
    expect(script.asked[0].scope.runIds).toEqual(runIds);
    expect(script.asked[0].limit).toBe(10);
    expect(response.headers.get('runlog-next-cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(response.headers.get('link')).toBeNull();
  });

  it('keeps a short Link, and refuses a bad POST naming the field', async () => {
    finish();
    const short = await fetch(`${base}/api/v1/metrics/export?runId=a&runId=b`);
    const link = short.headers.get('link');
    expect(link).toMatch(
      /^<\/api\/v1\/metrics\/export\?runId=a&runId=b&limit=100000&cursor=[^>]+>; rel="next"$/,
    );
    expect(link!.length).toBeLessThanOrEqual(MAX_LINK_HEADER_LENGTH);
    await short.text();
    const refused = await post(base, { runIds: ['a'], limit: '5' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'validation_failed', field: 'limit' });
  });

  it('answers 503 with Retry-After past the exports in progress, and frees a slot as an export ends', async () => {
    const first = await post(base, { runIds: ['a'] });
    const leaving = new AbortController();
    const second = await post(base, { runIds: ['b'] }, leaving.signal);
    expect([first.status, second.status]).toEqual([200, 200]);

    const refused = await fetch(`${base}/api/v1/metrics/export?runId=c`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: 'export_busy' });
    expect(script.asked).toHaveLength(2);

    // A client that leaves mid-page gives its slot back.
    leaving.abort();
    await expect(second.text()).rejects.toThrow();
    await waitFor(async () => (await post(base, { runIds: ['d'] })).status === 200);

    finish();
    expect(await first.text()).toBe('"run_id"\n"r"\n');
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the condition never held');
}
