import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createExperimentAndRun, logEnd } from '../support/runlog-client';
import { useRunlog } from '../support/runlog-process';

/** Raw status and body of a request: fetch would fix up the headers these cases are about. */
async function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
) {
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** Sends headers declaring `declared` bytes and a few of them; resolves with the first response bytes and the time. */
function declareHuge(base: string, path: string, declared: number): Promise<{ head: string; ms: number }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n{"metrics":`,
      );
    });
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n') && head.includes('}')) {
        socket.destroy();
        resolve({ head, ms: Date.now() - started });
      }
    });
    socket.on('error', reject);
    socket.setTimeout(10_000, () => reject(new Error(`no answer: ${head}`)));
  });
}

describe('the HTTP boundary of the ingest API', () => {
  const runlog = useRunlog({ RUNLOG_MAX_BODY_BYTES: String(64 * 1024) });
  let runId = '';

  beforeAll(async () => {
    ({ runId } = await createExperimentAndRun(runlog.base, 'boundary'));
  });

  const refusedWith = async (
    answer: Promise<{ status: number; body: Record<string, unknown> }>,
    status: number,
    error: string,
    field: string,
  ) => {
    const before = await logEnd(runlog.base);
    const { status: got, body } = await answer;
    expect({ status: got, body }).toEqual({ status, body: { error, field, message: expect.any(String) } });
    expect(await logEnd(runlog.base)).toBe(before);
  };

  it.each([
    ['POST', 'finish', { 'content-type': 'text/plain' }],
    ['POST', 'kill', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['POST', 'heartbeat', {}],
    ['POST', 'finish', { 'content-type': 'application/json; charset=iso-8859-1' }],
    ['DELETE', '', { 'content-type': 'text/plain' }],
  ] as const)(
    'refuses %s …/%s with %j: 415 naming content-type (cross-site simple requests)',
    async (method, route, headers) => {
      const path = `/api/v1/runs/${runId}${route ? `/${route}` : ''}`;
      await refusedWith(
        raw(runlog.base, method, path, headers, method === 'DELETE' ? undefined : '{}'),
        415,
        'unsupported_media_type',
        'content-type',
      );
    },
  );

  it('answers a declared Content-Length of 100 GiB with 413 at once, before the body arrives', async () => {
    const { head, ms } = await declareHuge(runlog.base, `/api/v1/runs/${runId}/metrics`, 107374182400);
    expect(head).toMatch(/^HTTP\/1\.1 413/);
    expect(head).toContain('"field":"body"');
    expect(ms).toBeLessThan(1000);
  });

  it('refuses bytes that are not the declared gzip (400) and an unknown encoding (415)', async () => {
    const json = { 'content-type': 'application/json' };
    await refusedWith(
      raw(
        runlog.base,
        'POST',
        `/api/v1/runs/${runId}/tags`,
        { ...json, 'content-encoding': 'gzip' },
        Buffer.from('not gzip at all'),
      ),
      400,
      'malformed_body',
      'body',
    );
    await refusedWith(
      raw(
        runlog.base,
        'POST',
        `/api/v1/runs/${runId}/tags`,
        { ...json, 'content-encoding': 'compress' },
        '{"tags":{"a":"b"}}',
      ),
      415,
      'unsupported_content_encoding',
      'content-encoding',
    );
    // The same body, really gzipped, is taken: the checks are not refusing everything.
    const gzipped = gzipSync(Buffer.from('{"tags":{"a":"b"}}'));
    expect(
      (
        await raw(
          runlog.base,
          'POST',
          `/api/v1/runs/${runId}/tags`,
          { ...json, 'content-encoding': 'gzip' },
          gzipped,
        )
      ).status,
    ).toBe(200);
  });

  it('refuses a search space nested 5,000 levels or holding 1e400 with 400 naming the field', async () => {
    const json = { 'content-type': 'application/json' };
    const deep = `{"experimentId":"e","searchSpace":{"lr":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}}`;
    const before = await logEnd(runlog.base);
    const nested = await raw(runlog.base, 'POST', '/api/v1/sweeps', json, deep);
    expect(nested.status).toBe(400);
    expect(String(nested.body.field)).toMatch(/^searchSpace\.lr(\.a)+$/);
    expect(await logEnd(runlog.base)).toBe(before);
    await refusedWith(
      raw(
        runlog.base,
        'POST',
        '/api/v1/sweeps',
        json,
        '{"experimentId":"e","searchSpace":{"lr":{"max":1e400}}}',
      ),
      400,
      'validation_failed',
      'searchSpace.lr.max',
    );
  });

  it('takes an empty JSON body on a body-optional route', async () => {
    const answer = await raw(runlog.base, 'POST', `/api/v1/runs/${runId}/heartbeat`, {
      'content-type': 'application/json',
    });
    expect(answer.status).toBeLessThan(300);
  });

  it('takes a DELETE with neither a body nor a Content-Type (as curl and MLflow send one)', async () => {
    const { runId: doomed } = await createExperimentAndRun(runlog.base, 'boundary-delete');
    const before = await logEnd(runlog.base);
    expect((await raw(runlog.base, 'DELETE', `/api/v1/runs/${doomed}`, {})).status).toBe(200);
    expect(await logEnd(runlog.base)).toBeGreaterThan(before);
  });
});
