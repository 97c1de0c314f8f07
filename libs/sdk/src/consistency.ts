import { ConsistencyPositions } from './consistency-positions';
import type { ReadAccess } from './history';
import { RunlogRequestError } from './request-error';

/** The header a GraphQL request sends tokens in; several, comma-separated, are all waited for. */
export const CONSISTENCY_TOKEN_HEADER = 'x-runlog-consistency-token';

/** What a run's answers said about where its writes landed: one header covering all of them. */
export class RunConsistency {
  private readonly positions = new ConsistencyPositions();

  record(answer: unknown): void {
    const token = (answer as { consistencyToken?: unknown } | null)?.consistencyToken;
    if (typeof token === 'string' && token !== '') this.positions.add(token);
  }

  /** The header value that makes a read wait for every write answered so far; undefined before any. */
  header(): string | undefined {
    return this.positions.header();
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
