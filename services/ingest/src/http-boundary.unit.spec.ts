import type { NextFunction, Request, Response } from 'express';
import {
  createHttpBoundary,
  declaredLength,
  isArtifactUpload,
  parseContentType,
  refusedContentType,
  refuseInvalidUtf8,
} from './http-boundary';
import { toHttpError } from './http-errors';

const boundary = createHttpBoundary({
  guardedPrefixes: ['/api/v1', '/admin'],
  maxJsonBytes: 1000,
  maxUploadBytes: 5000,
});

/** Runs the middleware on a request of this shape: what it answered, or that it passed the request on. */
function cross(method: string, path: string, headers: Record<string, string> = {}) {
  const answer: {
    status?: number;
    body?: unknown;
    headers: Record<string, string>;
    passed: boolean;
    drained: boolean;
  } = { headers: {}, passed: false, drained: false };
  // A body not read yet: a refusal must drain it (bounded) so the client, still sending, reads the answer.
  const request = {
    method,
    path,
    headers,
    complete: false,
    resume() {
      answer.drained = true;
    },
    once() {},
    destroy() {},
  };
  const response = {
    setHeader(name: string, value: string) {
      answer.headers[name.toLowerCase()] = value;
      return this;
    },
    status(code: number) {
      answer.status = code;
      return this;
    },
    json(body: unknown) {
      answer.body = body;
      return this;
    },
  };
  const next: NextFunction = () => {
    answer.passed = true;
  };
  boundary(request as unknown as Request, response as unknown as Response, next);
  return answer;
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('the HTTP boundary', () => {
  it.each([
    ['POST', '/api/v1/runs/r1/finish'],
    ['POST', '/api/v1/runs/r1/kill'],
    ['POST', '/api/v1/experiments/e1/archive'],
    ['POST', '/api/v1/runs/r1/heartbeat'],
    // Express routes without regard to case: the upper-case spelling reaches the same handler.
    ['POST', '/API/V1/runs/r1/kill'],
    ['POST', '/Api/v1/runs/r1/finish'],
    ['POST', '/admin/dead-letters/reproject'],
  ])('refuses %s %s without a JSON content type, also where the body is optional', (method, path) => {
    const refused: Record<string, string>[] = [
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': 'application/json; charset=latin1' },
    ];
    for (const headers of refused) {
      expect(cross(method, path, headers)).toMatchObject({
        status: 415,
        passed: false,
        body: { error: 'unsupported_media_type', field: 'content-type', message: expect.any(String) },
      });
    }
    expect(cross(method, path, JSON_TYPE).passed).toBe(true);
    expect(cross(method, path, { 'content-type': 'Application/JSON; Charset="UTF-8"' }).passed).toBe(true);
  });

  it('lets a PUT, PATCH or DELETE with no body and no content type through (no page can send one cross-site)', () => {
    for (const method of ['DELETE', 'PATCH', 'PUT']) {
      expect(cross(method, '/api/v1/runs/r1', {}).passed).toBe(true);
      expect(cross(method, '/api/v1/runs/r1', { 'content-length': '0' }).passed).toBe(true);
      // A body, or a content type that is not JSON, is refused as on any route.
      const refused: Record<string, string>[] = [
        { 'content-length': '2' },
        { 'transfer-encoding': 'chunked' },
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' },
      ];
      for (const headers of refused)
        expect(cross(method, '/api/v1/runs/r1', headers)).toMatchObject({ status: 415, passed: false });
    }
    // POST is what a page sends cross-site without a preflight: never without a JSON content type.
    expect(cross('POST', '/api/v1/runs/r1/finish', { 'content-length': '0' })).toMatchObject({ status: 415 });
  });

  it('lets artifact uploads, reads and routes outside the API through with any content type', () => {
    expect(cross('PUT', '/api/v1/runs/r1/artifacts/model.bin', { 'content-type': 'text/plain' }).passed).toBe(
      true,
    );
    expect(cross('GET', '/api/v1/runs/r1/artifacts', {}).passed).toBe(true);
    expect(cross('POST', '/graphql', { 'content-type': 'text/plain' }).passed).toBe(true);
  });

  it("takes a PUT of a part of MLflow's multipart upload as an upload (streamed, any type), nothing else there", () => {
    const part = '/api/2.0/mlflow-artifacts/mpu/parts/abc/1';
    expect(isArtifactUpload({ method: 'PUT', path: part })).toBe(true);
    expect(isArtifactUpload({ method: 'PUT', path: part.toUpperCase() })).toBe(true);
    expect(isArtifactUpload({ method: 'POST', path: part })).toBe(false);
    expect(
      isArtifactUpload({ method: 'POST', path: '/api/2.0/mlflow-artifacts/mpu/create/1/r/artifacts' }),
    ).toBe(false);
    expect(isArtifactUpload({ method: 'PUT', path: '/api/2.0/mlflow/runs/update' })).toBe(false);
  });

  it('answers a declared length over the cap with 413 before reading, draining what is sent meanwhile', () => {
    const huge = { ...JSON_TYPE, 'content-length': '107374182400' };
    expect(cross('POST', '/api/v1/runs/r1/metrics', huge)).toMatchObject({
      status: 413,
      drained: true,
      body: { error: 'payload_too_large', field: 'body' },
    });
    expect(cross('POST', '/api/v1/runs/r1/metrics', { ...JSON_TYPE, 'content-length': '1000' }).passed).toBe(
      true,
    );
    expect(cross('POST', '/api/v1/runs/r1/metrics', { ...JSON_TYPE, 'content-length': '1001' }).status).toBe(
      413,
    );
    // Uploads have their own cap; a compressed body a little over the JSON cap may still inflate within it.
    expect(cross('PUT', '/api/v1/runs/r1/artifacts/a', { 'content-length': '5000' }).passed).toBe(true);
    expect(cross('PUT', '/api/v1/runs/r1/artifacts/a', { 'content-length': '5001' }).status).toBe(413);
    const gzip = { ...JSON_TYPE, 'content-encoding': 'gzip' };
    expect(cross('POST', '/api/v1/runs/r1/metrics', { ...gzip, 'content-length': '1001' }).passed).toBe(true);
    expect(cross('POST', '/api/v1/runs/r1/metrics', { ...gzip, 'content-length': '2000' }).status).toBe(413);
  });

  it('reads headers the way HTTP writes them', () => {
    expect(parseContentType('application/json ; charset = "UTF-8"')).toEqual({
      mediaType: 'application/json',
      charset: 'utf-8',
    });
    expect(refusedContentType('application/jsonp')).toMatch(/not accepted/);
    expect(declaredLength('12')).toBe(12);
    expect(declaredLength('1e3')).toBeNull();
    expect(declaredLength(undefined)).toBeNull();
  });
});

describe("body parser errors keep their 4xx (body-parser's read.js and raw-body)", () => {
  const parserError = (status: number, extra: Record<string, unknown>) =>
    Object.assign(new Error('boom'), { status, statusCode: status, expose: status < 500 }, extra);

  it.each([
    [
      parserError(415, { type: 'encoding.unsupported' }),
      415,
      'unsupported_content_encoding',
      'content-encoding',
    ],
    [parserError(415, { type: 'charset.unsupported' }), 415, 'unsupported_media_type', 'content-type'],
    [parserError(400, { code: 'Z_DATA_ERROR', errno: -3 }), 400, 'malformed_body', 'body'],
    [parserError(400, { type: 'request.size.invalid' }), 400, 'malformed_body', 'body'],
    [parserError(400, { type: 'request.aborted' }), 400, 'request_aborted', 'body'],
    [parserError(413, { type: 'entity.too.large', limit: 10 }), 413, 'payload_too_large', 'body'],
    [parserError(403, { type: 'entity.verify.failed' }), 403, 'bad_request', 'body'],
  ])('%s → %i %s naming %s', (error, status, code, field) => {
    expect(toHttpError(error)).toEqual({
      status,
      body: { error: code, message: expect.any(String), field },
    });
  });

  it('leaves a 5xx of the parser a 500 that says nothing of the server', () => {
    expect(toHttpError(parserError(500, { type: 'stream.not.readable' }))).toEqual({
      status: 500,
      body: { error: 'internal_error', message: 'internal error' },
    });
  });
});

describe('the JSON parser refuses bytes that are not UTF-8', () => {
  it('passes UTF-8, multi-byte characters included', () => {
    expect(() => refuseInvalidUtf8(null, null, Buffer.from('{"note":"ü 日本 🎉"}'))).not.toThrow();
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['0xff 0xfe', [0xff, 0xfe]],
    ['a truncated sequence', [0xe6, 0x97]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ])('refuses %s with a 400 naming body', (_name, bytes) => {
    const body = Buffer.concat([Buffer.from('{"note":"'), Buffer.from(bytes), Buffer.from('"}')]);
    let thrown: unknown;
    try {
      refuseInvalidUtf8(null, null, body);
    } catch (error) {
      thrown = error;
    }
    expect(toHttpError(thrown)).toEqual({
      status: 400,
      body: { error: 'invalid_utf8', message: 'the body is not valid UTF-8', field: 'body' },
    });
  });
});
