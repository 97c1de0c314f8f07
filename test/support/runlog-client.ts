/** Thin HTTP and GraphQL helpers for integration specs: real requests, no shortcuts into the server. */
export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export function post<T = Record<string, unknown>>(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  return send<T>('POST', base, path, body, headers);
}

export async function send<T = Record<string, unknown>>(
  method: 'POST' | 'DELETE',
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
}

export async function gql<T = Record<string, unknown>>(
  base: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (result.errors?.length) throw new Error(`GraphQL: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.data as T;
}

export interface GraphqlAnswer<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string; reason?: string; field?: string } }[];
}

/** A GraphQL request whose errors are answered, not thrown: for specs that assert on refusals. */
export async function graphqlAnswer<T>(
  base: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphqlAnswer<T>> {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphqlAnswer<T>;
}

export interface Lag {
  topic: string;
  committedOffset: number;
  endOffset: number;
  lag: number;
}

/** `headers`: a credential, where the server needs one. */
export async function projectionLag(base: string, headers: Record<string, string> = {}): Promise<Lag[]> {
  const data = await gql<{ projectionLag: Lag[] }>(
    base,
    '{ projectionLag { topic committedOffset endOffset lag } }',
    {},
    headers,
  );
  return data.projectionLag;
}

/** Sum of every topic's end offset: moves if and only if something was appended. */
export async function logEnd(base: string, headers: Record<string, string> = {}): Promise<number> {
  return (await projectionLag(base, headers)).reduce((sum, lag) => sum + lag.endOffset, 0);
}

export async function waitForProjection(
  base: string,
  timeoutMs = 60_000,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lags = await projectionLag(base, headers);
    if (lags.every((lag) => lag.lag === 0)) return;
    if (Date.now() > deadline) throw new Error(`projection still behind: ${JSON.stringify(lags)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function createExperimentAndRun(
  base: string,
  name = 'exp',
): Promise<{ experimentId: string; runId: string }> {
  const experiment = await post<{ experimentId: string }>(base, '/api/v1/experiments', {
    name,
    getOrCreate: true,
  });
  if (experiment.status !== 201) throw new Error(`create experiment: ${JSON.stringify(experiment.body)}`);
  const run = await post<{ runId: string }>(base, '/api/v1/runs', {
    experimentId: experiment.body.experimentId,
    name: `${name}-run`,
  });
  if (run.status !== 201) throw new Error(`create run: ${JSON.stringify(run.body)}`);
  return { experimentId: experiment.body.experimentId, runId: run.body.runId };
}
