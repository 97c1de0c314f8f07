import { ConsistencyPositions } from './consistency-positions';
import type { ReadAccess } from './history';
import { RunlogRequestError } from './request-error';
import { retryDelayMs, sleep } from './retry-after';

const RATE_LIMITED_ATTEMPTS = 5;
const RETRY_BASE_DELAY_MS = 200;

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
  const body = JSON.stringify({ query, variables });
  let response = await access.fetch(`${access.baseUrl}/graphql`, { method: 'POST', headers, body });
  // A 429 is the rate limit's, answered before the operation ran: sending it again is safe, a mutation too.
  for (let attempt = 1; response.status === 429 && attempt < RATE_LIMITED_ATTEMPTS; attempt += 1) {
    await response.text();
    await sleep(retryDelayMs(RETRY_BASE_DELAY_MS * 2 ** (attempt - 1), response.headers.get('retry-after')));
    response = await access.fetch(`${access.baseUrl}/graphql`, { method: 'POST', headers, body });
  }
  const text = await response.text();
  let answer: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw new RunlogRequestError(response.status, text, '/graphql');
  }
  if (answer.errors?.length) {
    const codes = answer.errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message}`);
    throw new RunlogRequestError(response.status, codes.join('; '), '/graphql');
  }
  return answer.data as T;
}
