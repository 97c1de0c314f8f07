import { createClient, type Client } from 'graphql-ws';
import { authorizationHeader } from './credentials';

/** One GraphQL error as the gateway formats it: `extensions.code`, and where known the field and its column. */
export interface GraphqlErrorEntry {
  message: string;
  extensions?: { code?: string; field?: string; column?: number; expected?: string[] } & Record<
    string,
    unknown
  >;
}

export class GraphqlRequestError extends Error {
  constructor(
    readonly errors: GraphqlErrorEntry[],
    readonly status: number,
  ) {
    super(errors.map((error) => error.message).join('; ') || `HTTP ${status}`);
  }

  /** The first error about `field` (e.g. a search filter), to show beside that input. */
  about(field: string): GraphqlErrorEntry | undefined {
    return this.errors.find((error) => error.extensions?.field === field);
  }
}

/** A query or mutation over HTTP POST /graphql, as the caller (see credentials.ts). */
export async function request<TData, TVariables extends object = Record<string, never>>(
  document: string,
  variables?: TVariables,
  signal?: AbortSignal,
): Promise<TData> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorizationHeader() },
    body: JSON.stringify({ query: document, variables: variables ?? {} }),
    signal,
  });
  const body = (await response.json().catch(() => ({}))) as { data?: TData; errors?: GraphqlErrorEntry[] };
  if (body.errors?.length || !body.data) {
    throw new GraphqlRequestError(body.errors ?? [{ message: `HTTP ${response.status}` }], response.status);
  }
  return body.data;
}

let socketClient: Client | null = null;

/** The one graphql-ws connection of the page, opened with the first subscription (`lazy`). */
function subscriptions(): Client {
  if (!socketClient) {
    const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    socketClient = createClient({
      url: `${protocol}//${window.location.host}/graphql`,
      lazy: true,
      retryAttempts: 5,
      connectionParams: () => authorizationHeader(),
    });
  }
  return socketClient;
}

/** Follows a subscription; the returned function ends it. `onDone` is called once it completes or fails. */
export function subscribe<TData, TVariables extends Record<string, unknown>>(
  document: string,
  variables: TVariables,
  handlers: { next: (data: TData) => void; done?: (error?: unknown) => void },
): () => void {
  return subscriptions().subscribe<TData>(
    { query: document, variables },
    {
      next: (result) => {
        if (result.data) handlers.next(result.data);
      },
      error: (error) => handlers.done?.(error),
      complete: () => handlers.done?.(),
    },
  );
}

/** Closes the socket after a credential change, so the next subscription authenticates anew. */
export function resetSubscriptions(): void {
  void socketClient?.dispose();
  socketClient = null;
}
