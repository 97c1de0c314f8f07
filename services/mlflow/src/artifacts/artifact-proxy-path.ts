import { invalid, MlflowError } from '../protocol/mlflow-error';

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Where an `mlflow-artifacts:` path points in Runlog: a run's artifact tree, and a path in it (still encoded). */
export interface ProxiedPath {
  experimentId: string;
  runId: string;
  /** Percent-encoded as sent: the native route checks it (traversal, encodings, lengths) before a byte is read. */
  rawPath: string;
}

/**
 * `<experiment>/<run>/artifacts/<path>` as MLflow's clients build it under the proxy root. Anything else (another
 * root, a logged model's tree, an encoded separator in the ids) is refused: the ids are plain, so nothing in them
 * needs decoding.
 */
export function parseProxiedPath(raw: string, requirePath: boolean): ProxiedPath {
  const [experimentId = '', runId = '', artifacts = '', ...rest] = raw.split('/');
  if (experimentId && runId === 'models') {
    throw new MlflowError('NOT_IMPLEMENTED', 'logged models\u2019 artifacts are not served by Runlog yet');
  }
  if (!ID.test(experimentId) || !ID.test(runId) || artifacts !== 'artifacts') {
    throw invalid(
      `artifact path ${JSON.stringify(raw.slice(0, 200))} is not <experiment_id>/<run_id>/artifacts/<path>`,
    );
  }
  const rawPath = rest.join('/');
  if (requirePath && rawPath === '') throw invalid('the artifact path is empty');
  // Checked here as well as by the native route: the URL it is forwarded in would resolve these before it arrives.
  if (rest.some((segment) => segment === '' || segment === '.' || segment === '..') && rawPath !== '') {
    throw invalid(`artifact path ${JSON.stringify(rawPath.slice(0, 200))} has an empty, "." or ".." segment`);
  }
  if (/%(2e|2f|5c|00|25)|\\/i.test(rawPath)) {
    throw invalid(
      `artifact path ${JSON.stringify(rawPath.slice(0, 200))} encodes ".", "/", "\\", NUL or "%"`,
    );
  }
  return { experimentId, runId, rawPath };
}

/** The part of the URL after the proxy's root, as sent (still percent-encoded), without the query. */
export function rawAfter(originalUrl: string, root: string): string {
  const path = originalUrl.split('?', 1)[0];
  const at = path.toLowerCase().indexOf(root);
  return at < 0 ? '' : path.slice(at + root.length);
}
