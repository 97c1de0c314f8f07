import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The MLflow the dialect is checked against, pinned. The tests drive `mlflow-skinny` (the client without the
 * server's dependencies) with numpy and pandas, which its pyfunc models need; the side-by-side bench runs the full
 * `mlflow` (client and server). The full 3.18.0 needs an mlflow-tracing the registry does not serve, so the bench
 * pins 3.17.2.
 */
export interface PythonVenv {
  /** The folder under ~/.cache/runlog. */
  name: string;
  requirements: string[];
}
export const MLFLOW_CLIENT: PythonVenv = {
  name: 'mlflow-skinny-3.18.0-np2.4.6-pd3.1.1',
  requirements: ['mlflow-skinny==3.18.0', 'numpy==2.4.6', 'pandas==3.1.1'],
};
export const MLFLOW_SERVER_VERSION = '3.17.2';
export const MLFLOW_SERVER: PythonVenv = {
  name: `mlflow-${MLFLOW_SERVER_VERSION}`,
  requirements: [`mlflow==${MLFLOW_SERVER_VERSION}`],
};

const CACHE = process.env.RUNLOG_CACHE_DIR ?? join(homedir(), '.cache', 'runlog');
const COMPLETE = '.runlog-complete';

/**
 * The Python interpreter of a venv holding the requirements, made on first use under ~/.cache/runlog (a venv
 * cannot move, so it is built in place): a marker written last says it is whole, and a directory without it is
 * made again. One maker at a time: the others wait for its lock.
 */
export async function ensurePythonVenv(pkg: PythonVenv): Promise<string> {
  const venv = join(CACHE, pkg.name);
  const python = join(venv, 'bin', 'python');
  if (existsSync(join(venv, COMPLETE))) return python;
  await mkdir(CACHE, { recursive: true });
  const lock = `${venv}.lock`;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (existsSync(join(venv, COMPLETE))) return python;
      if (Date.now() > deadline)
        throw new Error(`${lock} is held for 15 minutes: remove it if no install runs`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    if (existsSync(join(venv, COMPLETE))) return python;
    await rm(venv, { recursive: true, force: true });
    const started = Date.now();
    process.stderr.write(`installing ${pkg.requirements.join(' ')} from PyPI into ${venv} (once)…\n`);
    await run('python3', ['-m', 'venv', venv]);
    await run(python, ['-m', 'pip', 'install', '--quiet', ...pkg.requirements], {
      maxBuffer: 16 << 20,
    });
    await writeFile(join(venv, COMPLETE), `${new Date().toISOString()}\n`);
    process.stderr.write(`${pkg.name} installed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    return python;
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** The pinned client's interpreter (see MLFLOW_CLIENT). */
export const ensureMlflowClient = () => ensurePythonVenv(MLFLOW_CLIENT);

/** Runs a Python script with an MLflow venv's interpreter against a tracking URI; its last stdout line as JSON. */
export async function runMlflowScript<T>(
  script: string,
  trackingUri: string,
  input: unknown,
  options: { python?: string; args?: string[]; progress?: boolean } = {},
): Promise<T> {
  const python = options.python ?? (await ensureMlflowClient());
  const child = run(python, [script, ...(options.args ?? [])], {
    // Retries bounded: a failing test should fail in seconds, not after the client's minutes of backoff.
    env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' },
    maxBuffer: 64 << 20,
  });
  child.child.stdin?.end(JSON.stringify(input));
  if (options.progress) child.child.stderr?.pipe(process.stderr);
  try {
    const { stdout } = await child;
    const lines = stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new Error(`${script} failed: ${failed.message}\n${failed.stderr ?? ''}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}

/** MLflow's own tracking server (the MLFLOW_SERVER venv) on SQLite in `dir`, serving artifacts from `dir/artifacts`. */
export async function startMlflowServer(
  python: string,
  dir: string,
): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    python,
    [
      ...['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
      ...['--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`],
      ...['--artifacts-destination', join(dir, 'artifacts')],
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mlflow server exited:\n${output}`);
    const ok = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { base, child };
    if (Date.now() > deadline) throw new Error(`mlflow server did not answer within 120 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
