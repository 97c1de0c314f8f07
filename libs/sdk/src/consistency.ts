import type { ReadAccess } from './history';
import { RunlogRequestError } from './request-error';

/** The header a GraphQL request sends tokens in; several, comma-separated, are all waited for. */
export const CONSISTENCY_TOKEN_HEADER = 'x-runlog-consistency-token';

/**
 * The latest consistency token of each of a run's two streams (its lifecycle and its metrics). A later answer's
 * token covers every earlier write of the same stream (the log's positions only grow), so two tokens cover
 * everything the run wrote.
 */
export class RunConsistency {
  private readonly latest = new Map<'lifecycle' | 'metrics', string>();

  record(path: string, answer: unknown): void {
    const token = (answer as { consistencyToken?: unknown } | null)?.consistencyToken;
    if (typeof token !== 'string' || token === '') return;
    this.latest.set(path.endsWith('/metrics') ? 'metrics' : 'lifecycle', token);
  }

  /** The header value that makes a read wait for every write answered so far; undefined before any. */
  header(): string | undefined {
    return this.latest.size === 0 ? undefined : [...this.latest.values()].join(', ');
  }
}

export interface GraphqlOptions {
  /** From `run.consistencyToken()`: the read waits until the projection holds those writes. */
  consistencyToken?: string;
  /** How long the server may hold the read for them (ms, server default 10 s, at most 60 s). */
  consistencyTimeoutMs?: number;
}

/** One GraphQL request to the gateway; GraphQL errors are thrown with their codes. */
export async function graphqlRequest<T>(
  access: ReadAccess,
  query: string,
  variables: Record<string, unknown> = {},
  options: GraphqlOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { ...access.headers, 'content-type': 'application/json' };
  if (options.consistencyToken) headers[CONSISTENCY_TOKEN_HEADER] = options.consistencyToken;
  if (options.consistencyTimeoutMs !== undefined) {
    headers['x-runlog-consistency-timeout-ms'] = String(options.consistencyTimeoutMs);
  }
  const response = await access.fetch(`${access.baseUrl}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new RunlogRequestError(response.status, text, '/graphql');
  }
  if (body.errors?.length) {
    const codes = body.errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`);
    throw new RunlogRequestError(response.status, codes.join('; '), '/graphql');
  }
  return body.data as T;
}
