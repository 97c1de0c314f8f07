import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The MLflow client the dialect is tested with: mlflow-skinny (the client without the server), pinned. */
export const MLFLOW_CLIENT_VERSION = '3.18.0';
const CACHE = join(process.env.RUNLOG_CACHE_DIR ?? join(homedir(), '.cache', 'runlog'));
const VENV = join(CACHE, `mlflow-skinny-${MLFLOW_CLIENT_VERSION}`);

/**
 * The Python interpreter of a venv holding the pinned client, made on first use (about 30 s from PyPI) and kept
 * under ~/.cache/runlog: built aside and renamed into place, so a half-made venv is never taken for a whole one.
 */
export async function ensureMlflowClient(): Promise<string> {
  const python = join(VENV, 'bin', 'python');
  if (existsSync(python)) return python;
  await mkdir(CACHE, { recursive: true });
  const building = `${VENV}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  process.stderr.write(`installing mlflow-skinny ${MLFLOW_CLIENT_VERSION} into ${VENV} (once)…\n`);
  await run('python3', ['-m', 'venv', building]);
  await run(join(building, 'bin', 'pip'), ['install', '--quiet', `mlflow-skinny==${MLFLOW_CLIENT_VERSION}`], {
    maxBuffer: 16 << 20,
  });
  try {
    await rename(building, VENV);
  } catch (error) {
    // Another process installed it meanwhile: use theirs.
    await rm(building, { recursive: true, force: true });
    if (!existsSync(python)) throw error;
  }
  process.stderr.write(`mlflow-skinny ${MLFLOW_CLIENT_VERSION} installed\n`);
  return python;
}

/** Runs a Python script of the MLflow tests with the pinned client against a tracking URI; its JSON answer. */
export async function runMlflowScript<T>(script: string, trackingUri: string, input: unknown): Promise<T> {
  const python = await ensureMlflowClient();
  const child = run(python, [script], {
    env: { ...process.env, MLFLOW_TRACKING_URI: trackingUri, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2' },
    maxBuffer: 64 << 20,
  });
  child.child.stdin?.end(JSON.stringify(input));
  try {
    const { stdout } = await child;
    const lines = stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new Error(`${script} failed: ${failed.message}\n${failed.stderr ?? ''}`);
  }
}
