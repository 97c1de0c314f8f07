import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, Response } from 'express';
import { drainUnread, type ErrorBody } from './http-errors';

export interface HttpBoundaryConfig {
  /** Routes under these prefixes that take a body must say it is JSON (the API, the admin routes). */
  guardedPrefixes: readonly string[];
  /** RUNLOG_MAX_BODY_BYTES: the JSON parser's limit, on the decoded body. */
  maxJsonBytes: number;
  /** RUNLOG_MAX_ARTIFACT_BYTES: the largest upload the store takes. */
  maxUploadBytes: number;
}

/** Methods whose request carries a body that acts on something: a cross-site form can send POST (CVE-2023-43472). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The JSON parser's `verify` hook: bytes that are not UTF-8 would be decoded into U+FFFD, so what is stored would
 * not be what the client sent. Refused (400 naming body) instead; body-parser keeps the status set here.
 */
export function refuseInvalidUtf8(_request: unknown, _response: unknown, body: Buffer): void {
  if (!isUtf8(body)) {
    throw Object.assign(new Error('the body is not valid UTF-8'), {
      status: 400,
      expose: true,
      type: 'encoding.invalid_utf8',
    });
  }
}

/** Artifact uploads (and the parts of MLflow's multipart ones): the body is the file, raw bytes of any type, streamed. */
export function isArtifactUpload(request: Pick<Request, 'method' | 'path'>): boolean {
  if (request.method !== 'PUT') return false;
  const path = request.path.toLowerCase();
  return path.includes('/artifacts/') || path.includes('/mlflow-artifacts/mpu/parts/');
}

/** `application/json; charset=UTF-8` → media type and charset (lower case), or null when there is no header. */
export function parseContentType(
  header: string | undefined,
): { mediaType: string; charset: string | null } | null {
  if (header === undefined) return null;
  const [mediaType, ...parameters] = header.split(';');
  let charset: string | null = null;
  for (const parameter of parameters) {
    const at = parameter.indexOf('=');
    if (at < 0) continue;
    if (parameter.slice(0, at).trim().toLowerCase() !== 'charset') continue;
    charset = parameter
      .slice(at + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return { mediaType: mediaType.trim().toLowerCase(), charset };
}

/** The declared Content-Length, or null when none (chunked) or not a plain number (Node refuses those itself). */
export function declaredLength(header: string | undefined): number | null {
  return header !== undefined && /^\d+$/.test(header.trim()) ? Number(header) : null;
}

/**
 * The most a body may declare before it is read: compressed bodies are inflated, and deflate (gzip, brotli)
 * grows incompressible input by well under 1/1000 plus a header, so a longer one cannot inflate to the limit.
 */
export function declaredCap(config: HttpBoundaryConfig, request: Request): number {
  if (isArtifactUpload(request)) return config.maxUploadBytes;
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  return encoding === 'identity'
    ? config.maxJsonBytes
    : config.maxJsonBytes + (config.maxJsonBytes >> 10) + 64;
}

/** Why the request's Content-Type is refused, or null when it is JSON in UTF-8 (or names no charset). */
export function refusedContentType(header: string | undefined): string | null {
  const parsed = parseContentType(header);
  if (parsed === null) return 'a body-taking route needs Content-Type: application/json';
  if (parsed.mediaType !== 'application/json')
    return `Content-Type "${parsed.mediaType}" is not accepted here: send application/json`;
  if (parsed.charset !== null && parsed.charset !== 'utf-8')
    return `charset "${parsed.charset}" is not accepted: JSON is UTF-8`;
  return null;
}

/**
 * A PUT, PATCH or DELETE that carries no body and names no Content-Type has nothing to parse, and no page can send
 * it to another site without a CORS preflight (only GET, HEAD and POST can); MLflow's client deletes this way.
 */
function isBodilessNonPost(request: Request): boolean {
  if (request.method === 'POST' || request.headers['content-type'] !== undefined) return false;
  if (request.headers['transfer-encoding'] !== undefined) return false;
  const length = request.headers['content-length'];
  return length === undefined || declaredLength(length) === 0;
}

/** Answered at once, before the body is read; the rest of the body is drained (bounded) so the client reads it. */
function refuse(request: Request, response: Response, status: number, body: Required<ErrorBody>): void {
  drainUnread(request);
  response.status(status).json(body);
}

/**
 * The edge every request crosses before a byte of its body is read (installed ahead of the JSON parser):
 * - a declared Content-Length over the cap is a 413 at once (what is sent meanwhile is dropped, for 10 s at most);
 * - a POST, PUT, PATCH or DELETE under the API, artifact uploads aside, must be `application/json` in UTF-8, also
 *   where the body is optional: a browser sends text/plain and form bodies cross-site without a preflight, so a
 *   route that acted on them could be driven from any web page (MLflow's CVE-2023-43472). A PUT, PATCH or DELETE
 *   with neither a body nor a Content-Type passes: it cannot be sent cross-site without a preflight.
 */
export function createHttpBoundary(config: HttpBoundaryConfig) {
  return function httpBoundary(request: Request, response: Response, next: NextFunction): void {
    const declared = declaredLength(request.headers['content-length']);
    const cap = declaredCap(config, request);
    if (declared !== null && declared > cap) {
      return refuse(request, response, 413, {
        error: 'payload_too_large',
        message: `the body declares ${declared} bytes, more than the ${cap} this route takes`,
        field: 'body',
      });
    }
    // Express routes without regard to case: /API/V1/… reaches the same handlers, so it is guarded the same.
    const path = request.path.toLowerCase();
    const guarded = config.guardedPrefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    if (
      guarded &&
      BODY_METHODS.has(request.method) &&
      !isArtifactUpload(request) &&
      !isBodilessNonPost(request)
    ) {
      const refused = refusedContentType(request.headers['content-type']);
      if (refused !== null) {
        return refuse(request, response, 415, {
          error: 'unsupported_media_type',
          message: refused,
          field: 'content-type',
        });
      }
    }
    next();
  };
}
