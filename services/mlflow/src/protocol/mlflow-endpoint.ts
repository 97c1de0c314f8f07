import type { Request, Response } from 'express';
import type { MlflowFields } from './mlflow-fields';

export type MlflowMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What a handler sees: the request's fields, the request itself (its credential is passed on), and path params. */
export interface MlflowCall {
  fields: MlflowFields;
  request: Request;
  response: Response;
  params: Record<string, string>;
}

/**
 * One endpoint of MLflow's REST API (`/api/2.0/mlflow/<path>`), as its proto declares it. The answer is the JSON
 * response message; `undefined` when the handler wrote the response itself (a download).
 */
export interface MlflowEndpoint {
  methods: readonly MlflowMethod[];
  /** Relative to the prefix; `{name}` segments match one path segment each. */
  path: string;
  handle: (call: MlflowCall) => Promise<object | undefined>;
}

/** Each area (experiments, runs, metrics, artifacts) lists its endpoints; the controller dispatches over all. */
export interface MlflowEndpoints {
  endpoints(): MlflowEndpoint[];
}

/** An endpoint whose handler takes the fields, the request and the path params (most of them). */
export function endpointAt(
  methods: readonly MlflowMethod[],
  path: string,
  handle: (fields: MlflowFields, request: Request, params: Record<string, string>) => Promise<object>,
): MlflowEndpoint {
  return { methods, path, handle: ({ fields, request, params }) => handle(fields, request, params) };
}
