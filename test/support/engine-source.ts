import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type EngineSource = 'environment' | 'testcontainers' | 'native';

/**
 * Where the integration suites get an engine, in the order the project fixed: an endpoint named in the
 * environment; else containers when a Docker engine answers; else the native stack (deploy/stack). Suites never care
 * which. RUNLOG_TEST_ENGINES=native or =testcontainers forces the choice for engines not named.
 */
export function engineSource(named: boolean, dockerAnswers: boolean, forced?: string): EngineSource {
  if (named) return 'environment';
  if (forced === 'native') return 'native';
  if (forced === 'testcontainers') return 'testcontainers';
  if (forced) throw new Error(`RUNLOG_TEST_ENGINES must be native or testcontainers, got "${forced}"`);
  return dockerAnswers ? 'testcontainers' : 'native';
}

/** Cheap first look (a socket or DOCKER_HOST), then testcontainers' own runtime probe, which is the judge. */
export async function dockerAnswers(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const sockets = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
  if (!env.DOCKER_HOST && !sockets.some((socket) => existsSync(socket))) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}
