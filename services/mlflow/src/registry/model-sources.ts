import { invalid } from '../protocol/mlflow-error';

/** Where a model version's files are, as a run and a path in its artifacts (still to be found there). */
export interface RunArtifactSource {
  runId: string;
  path: string;
}

const ID = '[A-Za-z0-9][A-Za-z0-9_-]{0,63}';
const RUNS_URI = new RegExp(`^runs:/(${ID})(?:/(.*))?$`);
const PROXY_URI = new RegExp(`^mlflow-artifacts:/+${ID}/(${ID})/artifacts(?:/(.*))?$`);
const LOGGED_MODEL_URI = new RegExp(`^models:/(m-[A-Za-z0-9_-]{1,62})/?$`);

/**
 * A model version's `source`, as one of the places Runlog keeps model files: `runs:/<run>/<path>`, the proxy's
 * `mlflow-artifacts:/<exp>/<run>/artifacts/<path>`, or a logged model `models:/m-…` (its own artifact tree).
 * Anything else (a local path, file://, dbfs:/, http(s)://, a query or fragment) is refused: Runlog serves only
 * what it stores, which is what closes MLflow's source-path advisories.
 */
export function runArtifactSourceOf(source: string): RunArtifactSource {
  const refuse = (why: string) =>
    invalid(`Invalid model version source ${JSON.stringify(source.slice(0, 200))}: ${why}`);
  if (/[?#;\\]|%2e|%2f|%5c/i.test(source))
    throw refuse('it holds a query, fragment, parameter or encoded separator');
  const match = RUNS_URI.exec(source) ?? PROXY_URI.exec(source);
  const logged = LOGGED_MODEL_URI.exec(source);
  if (logged) return { runId: logged[1], path: '' };
  if (!match)
    throw refuse('Runlog serves models from runs:/, mlflow-artifacts:/ and models:/m-… sources only');
  const path = (match[2] ?? '').replace(/\/+$/, '');
  if (path.split('/').some((segment) => segment === '..' || segment === '.') || path.startsWith('/')) {
    throw refuse('the path climbs out of the run');
  }
  return { runId: match[1], path };
}
