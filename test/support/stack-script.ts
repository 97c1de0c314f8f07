import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs one of deploy/stack's scripts; throws with the script's output when it fails, else returns it. */
export function runStackScript(
  script: 'kafka.sh' | 'minio.sh' | 'clickhouse.sh',
  command: 'up' | 'down',
  env: Record<string, string>,
  timeoutMs: number,
): string {
  const path = join(__dirname, '..', '..', 'deploy', 'stack', script);
  const result = spawnSync('bash', [path, command], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    throw new Error(
      `${script} ${command} failed (${result.error?.message ?? `exit ${result.status}`}):\n${output}`,
    );
  }
  return output;
}
