import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export type StackScript = 'kafka.sh' | 'minio.sh' | 'clickhouse.sh';

const scriptPath = (script: StackScript) => join(__dirname, '..', '..', 'deploy', 'stack', script);

function failure(script: StackScript, command: string, reason: string, output: string): Error {
  return new Error(`${script} ${command} failed (${reason}):\n${output}`);
}

/** Runs one of deploy/stack's scripts; throws with the script's output when it fails, else returns it. */
export function runStackScript(
  script: StackScript,
  command: 'up' | 'down',
  env: Record<string, string>,
  timeoutMs: number,
): string {
  const result = spawnSync('bash', [scriptPath(script), command], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    throw failure(script, command, result.error?.message ?? `exit ${result.status}`, output);
  }
  return output;
}

/**
 * runStackScript without blocking the event loop: what else the caller started (a MinIO build is minutes of
 * compiling; Python venvs are minutes of downloads) goes on meanwhile.
 */
export function runStackScriptAsync(
  script: StackScript,
  command: 'up' | 'down',
  env: Record<string, string>,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [scriptPath(script), command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let output = '';
    const keep = (chunk: Buffer) => (output += chunk.toString());
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error) => reject(failure(script, command, error.message, output)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(failure(script, command, signal ? `killed by ${signal}` : `exit ${code}`, output));
    });
  });
}
