import { authorizationHeader } from './credentials';

/** An artifact's bytes through the ingest API, with the caller's credential (a plain link could not send it). */
export async function fetchArtifact(runId: string, path: string, signal?: AbortSignal): Promise<Response> {
  const route = `/api/v1/runs/${encodeURIComponent(runId)}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;
  const response = await fetch(route, { headers: authorizationHeader(), signal });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response;
}
