import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { s3Client } from '../support/engines';
import { createExperimentAndRun, logEnd, post } from '../support/runlog-client';
import {
  artifactBucketFor,
  makeDataDir,
  removeDataDir,
  startRunlog,
  type RunlogProcess,
} from '../support/runlog-process';

const MAX_ARTIFACT_BYTES = 24 * 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const distributed = process.env.RUNLOG_TEST_MODE === 'distributed';

interface RawAnswer {
  status: number;
  body: string;
}

/** A request sent byte for byte: fetch would normalise `..` out of the path before it left. */
function raw(
  base: string,
  method: string,
  path: string,
  body?: Buffer | Buffer[],
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const chunks: Buffer[] = [];
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    // Several chunks without a content-length: the server learns the size only by reading.
    for (const chunk of Array.isArray(body) ? body : body ? [body] : []) req.write(chunk);
    req.end();
  });
}

/**
 * Artifacts over HTTP on the store this server runs with: the local folder here, S3 (MinIO) in the
 * `integration on Kafka` project. Round trips are checked by digest; identical content is stored once; every
 * refused path and size answers 4xx with nothing appended and nothing stored.
 */
describe('run artifacts over HTTP', () => {
  let runlog: RunlogProcess;
  let dataDir: string;
  let runId: string;
  const url = (path: string) => `/api/v1/runs/${runId}/artifacts/${path}`;

  beforeAll(async () => {
    dataDir = makeDataDir();
    runlog = await startRunlog(dataDir, { RUNLOG_MAX_ARTIFACT_BYTES: String(MAX_ARTIFACT_BYTES) });
    ({ runId } = await createExperimentAndRun(runlog.base, 'artifacts'));
  });

  afterAll(async () => {
    await runlog?.stop();
    removeDataDir(dataDir);
  });

  /** Digests the store holds, read behind the server's back. */
  async function storedDigests(): Promise<string[]> {
    if (distributed) {
      const keys: string[] = [];
      for await (const item of s3Client().listObjectsV2(artifactBucketFor(dataDir), 'sha256/', true)) {
        if (item.name) keys.push(item.name.replace(/^sha256\/(..)\//, '$1'));
      }
      return keys.sort();
    }
    const root = join(dataDir, 'artifacts', 'sha256');
    let prefixes: string[] = [];
    try {
      prefixes = readdirSync(root).filter((name) => /^[0-9a-f]{2}$/.test(name));
    } catch {
      return [];
    }
    return prefixes.flatMap((prefix) => readdirSync(join(root, prefix)).map((rest) => prefix + rest)).sort();
  }

  it('round-trips a file larger than one upload part, byte for byte, with its type and digest', async () => {
    const content = randomBytes(20 * 1024 * 1024 + 123);
    const put = await raw(runlog.base, 'PUT', url('checkpoints/epoch-1/model.pt'), content, {
      'content-type': 'application/x-pytorch',
      'content-length': String(content.length),
    });
    expect(put.status).toBe(201);
    expect(JSON.parse(put.body)).toMatchObject({
      path: 'checkpoints/epoch-1/model.pt',
      size: content.length,
      digest: sha256(content),
      contentType: 'application/x-pytorch',
      deduplicated: false,
      appended: true,
    });
    // Its answer carries a consistency token like every write's: a read sent with it sees the artifact.
    const { consistencyToken } = JSON.parse(put.body) as { consistencyToken: string };
    expect(consistencyToken).toEqual(expect.any(String));
    const read = await fetch(`${runlog.base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-runlog-consistency-token': consistencyToken },
      body: JSON.stringify({
        query: `{ run(id: "${runId}") { artifacts(prefix: "checkpoints/epoch-1/") { path } } }`,
      }),
    });
    const { data } = (await read.json()) as { data: { run: { artifacts: { path: string }[] } } };
    expect(data.run.artifacts).toEqual([{ path: 'checkpoints/epoch-1/model.pt' }]);

    const response = await fetch(`${runlog.base}${url('checkpoints/epoch-1/model.pt')}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-pytorch');
    expect(response.headers.get('x-runlog-artifact-digest')).toBe(sha256(content));
    // A download, never rendered in the server's origin, whatever type the uploader claimed.
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="model.pt"; filename*=UTF-8''model.pt`,
    );
    const downloaded = Buffer.from(await response.arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(content));
    expect(downloaded.length).toBe(content.length);
  });

  it('records stored content only with the size the store holds, and only content that is stored', async () => {
    const content = randomBytes(1000);
    expect((await raw(runlog.base, 'PUT', url('source.bin'), content)).status).toBe(201);
    const before = await logEnd(runlog.base);
    const record = (body: Record<string, unknown>) =>
      post(runlog.base, `/api/v1/runs/${runId}/artifact-records`, {
        path: 'copy.bin',
        digest: sha256(content),
        size: content.length,
        contentType: 'application/octet-stream',
        ...body,
      });
    expect(await record({ size: 10 })).toMatchObject({ status: 400, body: { field: 'size' } });
    expect(await record({ digest: sha256(randomBytes(8)) })).toMatchObject({
      status: 400,
      body: { field: 'digest' },
    });
    expect(await logEnd(runlog.base)).toBe(before);
    expect(await record({})).toMatchObject({ status: 201, body: { appended: true } });
  });

  it('stores identical content once, and a retried upload to the same path appends nothing', async () => {
    const content = randomBytes(4096);
    const first = await raw(runlog.base, 'PUT', url('a/weights.bin'), content);
    const second = await raw(runlog.base, 'PUT', url('b/same-weights.bin'), content);
    const retry = await raw(runlog.base, 'PUT', url('a/weights.bin'), content);
    expect(JSON.parse(first.body)).toMatchObject({ deduplicated: false, appended: true });
    expect(JSON.parse(second.body)).toMatchObject({ deduplicated: true, appended: true });
    expect(JSON.parse(retry.body)).toMatchObject({ deduplicated: true, appended: false, eventIds: [] });
    expect((await storedDigests()).filter((digest) => digest === sha256(content))).toHaveLength(1);

    const listing = await fetch(`${runlog.base}/api/v1/runs/${runId}/artifacts?prefix=a/`);
    expect(await listing.json()).toEqual([
      { path: 'a/weights.bin', size: 4096, digest: sha256(content), contentType: 'application/octet-stream' },
    ]);
  });

  it.each([
    '../escape.txt',
    'a/../../escape.txt',
    './here.txt',
    '%2e%2e/escape.txt',
    'a/%2E%2E/%2e%2e/escape.txt',
    '%252e%252e/escape.txt',
    '%2Fetc%2Fpasswd',
    '..%5Cescape.txt',
    'a%5Cb.txt',
    'nul%00.txt',
    'ctl%0A.txt',
    'C:/Windows/win.ini',
    'a//b.txt',
    'trailing/',
    'x'.repeat(256),
    `${'y'.repeat(200)}/`.repeat(6) + 'z',
  ])('refuses the path %s with a 400 naming it, appending and storing nothing', async (path) => {
    const before = { end: await logEnd(runlog.base), stored: await storedDigests() };
    const answer = await raw(runlog.base, 'PUT', `/api/v1/runs/${runId}/artifacts/${path}`, randomBytes(64));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'validation_failed', field: 'path' });
    expect(await logEnd(runlog.base)).toBe(before.end);
    expect(await storedDigests()).toEqual(before.stored);
  });

  it('refuses an absolute path, which no artifact route reaches', async () => {
    const answer = await raw(
      runlog.base,
      'PUT',
      `/api/v1/runs/${runId}/artifacts//etc/passwd`,
      randomBytes(8),
    );
    expect(answer.status).toBe(400);
  });

  it('refuses content over the size limit with a 413, declared or discovered while streaming', async () => {
    const before = { end: await logEnd(runlog.base), stored: await storedDigests() };
    const declared = await raw(runlog.base, 'PUT', url('too-big.bin'), randomBytes(MAX_ARTIFACT_BYTES + 1), {
      'content-length': String(MAX_ARTIFACT_BYTES + 1),
    });
    expect(declared.status).toBe(413);
    const chunks = Array.from({ length: 25 }, () => randomBytes(1024 * 1024));
    const streamed = await raw(runlog.base, 'PUT', url('too-big-streamed.bin'), chunks);
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body)).toMatchObject({ error: 'artifact_too_large' });
    expect(await logEnd(runlog.base)).toBe(before.end);
    expect(await storedDigests()).toEqual(before.stored);
  });

  it('answers 404 for an unknown run or path, and 409 after the run ended, storing nothing', async () => {
    expect(
      (await raw(runlog.base, 'PUT', '/api/v1/runs/no-such-run/artifacts/a.txt', randomBytes(8))).status,
    ).toBe(404);
    expect((await fetch(`${runlog.base}${url('never/uploaded.txt')}`)).status).toBe(404);

    const ended = await createExperimentAndRun(runlog.base, 'ended');
    expect(await post(runlog.base, `/api/v1/runs/${ended.runId}/finish`, {})).toMatchObject({ status: 200 });
    const before = await storedDigests();
    const late = await raw(
      runlog.base,
      'PUT',
      `/api/v1/runs/${ended.runId}/artifacts/late.txt`,
      randomBytes(8),
    );
    expect(late.status).toBe(409);
    expect(await storedDigests()).toEqual(before);
  });
});
