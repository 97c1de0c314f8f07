import type { CaseClass } from './expectations';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A request exactly as it goes on the wire: the path is not normalized, the body is the bytes sent. */
export interface RawRequest {
  method: HttpMethod;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  /** A Content-Length larger than the bytes sent: the server must answer without waiting for the rest. */
  declaredLength?: number;
}

export interface BadInputCase {
  name: string;
  /** The documented operation it exercises, `METHOD /api/v1/path/{param}` as in the served openapi.json. */
  operation: string;
  class: CaseClass;
  request: RawRequest;
  /** The field the answer must name when it depends on the route (else the class's, see expectations.ts). */
  field?: string | RegExp;
}

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** A JSON request with the raw text as given (so it can hold what JSON.stringify never writes). */
export function jsonRequest(
  method: HttpMethod,
  path: string,
  text: string,
  headers: Record<string, string> = JSON_HEADERS,
): RawRequest {
  return { method, path, headers, body: text };
}

/** JSON text of `value`, with the marker strings replaced by raw JSON text (`1e400`, deep nesting, `__proto__`). */
export function jsonText(value: unknown, raw: Record<string, string> = {}): string {
  let text = JSON.stringify(value);
  for (const [marker, replacement] of Object.entries(raw)) {
    text = text.split(JSON.stringify(marker)).join(replacement);
  }
  return text;
}
