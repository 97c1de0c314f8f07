import { DomainError } from '../../domain/src/errors';

export const INGEST_ENDPOINT = Symbol('INGEST_ENDPOINT');

/**
 * Where the gateway sends its mutations: an ingest API base URL (this process's own when it runs the ingest role,
 * else RUNLOG_INGEST_URL), settled once the process listens. The gateway never decides a command itself: the
 * ingest route validates it, routes it to the workspace registry's one writer and appends it.
 */
export interface IngestEndpoint {
  baseUrl: string | null;
}

/** An error the ingest API answered, carried to the GraphQL edge with its code and field. */
export class IngestAnswerError extends DomainError {
  constructor(
    readonly code: string,
    message: string,
    field?: string,
  ) {
    super(message, field);
  }
}

/** Headers of the GraphQL request that say who asks and where: passed on, so ingest authenticates it again. */
const PASSED_HEADERS = ['authorization', 'x-runlog-workspace', 'x-runlog-actor'];

export interface IngestCall {
  method: 'POST' | 'DELETE';
  path: string;
  body: object;
  /** The GraphQL request (Express), whose credential the call carries. */
  request: { headers: Record<string, string | string[] | undefined> };
  workspace?: string;
}

/**
 * The URL of an ingest route, refused when URL parsing would change its path: fetch resolves `.` and `..`
 * segments (also percent-encoded ones) before sending, so an id such as `..` or a path with `%2e%2e` in it
 * would otherwise reach another route than the one named, past the checks made for this one.
 */
export function ingestUrl(baseUrl: string, path: string): string {
  const url = new URL(`${baseUrl}${path}`);
  const asked = path.split('?', 1)[0];
  if (url.pathname !== asked) {
    throw new IngestAnswerError(
      'validation_failed',
      `${JSON.stringify(asked.slice(0, 200))} is not a path of the API: it has "." or ".." segments`,
    );
  }
  return url.toString();
}

/** The headers a call to ingest carries for its caller: credential, workspace, the user acted for. */
export function callerHeaders(request: IngestCall['request'], workspace?: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  if (workspace !== undefined) headers['x-runlog-workspace'] = workspace;
  return headers;
}

/** POSTs one command to the ingest API as the caller and returns its JSON answer, or throws its error. */
export async function callIngest<T>(endpoint: IngestEndpoint, call: IngestCall): Promise<T> {
  if (!endpoint.baseUrl) {
    throw new IngestAnswerError(
      'ingest_unavailable',
      'this gateway has no ingest API to send commands to: run it with the ingest role or set RUNLOG_INGEST_URL',
    );
  }
  const headers = { 'content-type': 'application/json', ...callerHeaders(call.request, call.workspace) };
  const url = ingestUrl(endpoint.baseUrl, call.path);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: call.method,
      headers,
      body: JSON.stringify(call.body),
      signal: AbortSignal.timeout(60_000),
    });
    text = await response.text();
  } catch (error) {
    throw new IngestAnswerError(
      'ingest_unavailable',
      `the ingest API at ${endpoint.baseUrl} did not answer (${error instanceof Error ? error.message : String(error)}); retry with the same eventId`,
    );
  }
  let answer: { error?: unknown; message?: unknown; field?: unknown };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw new IngestAnswerError(
      'ingest_unavailable',
      `the ingest API answered ${response.status} without JSON`,
    );
  }
  if (!response.ok) {
    throw new IngestAnswerError(
      typeof answer.error === 'string' ? answer.error : 'ingest_error',
      typeof answer.message === 'string' ? answer.message : `the ingest API answered ${response.status}`,
      typeof answer.field === 'string' ? answer.field : undefined,
    );
  }
  return answer as T;
}
