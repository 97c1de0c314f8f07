import { randomUUID } from 'node:crypto';
import { sharedEnginesEnv } from './engines';
import { freePortPair } from './kafka-broker';
import {
  clickhouseEngineEnv,
  makeDataDir,
  removeDataDir,
  startRunlog,
  type RunlogProcess,
} from './runlog-process';

/**
 * Several Runlog processes of one describe block on the test run's shared engines (one Kafka namespace, ClickHouse
 * database and bucket under `<prefix>_<random>`), each with `env` and its own data dir, all killed after the block.
 */
export function useSharedEngines(prefix: string, env: Record<string, string> = {}) {
  const id = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const dirs: string[] = [];
  const processes: RunlogProcess[] = [];

  afterAll(async () => {
    for (const started of processes) await started.kill();
    dirs.forEach(removeDataDir);
  });

  async function start(extra: Record<string, string> = {}): Promise<RunlogProcess> {
    const dataDir = makeDataDir();
    dirs.push(dataDir);
    const started = await startRunlog(dataDir, {
      ...sharedEnginesEnv(id, clickhouseEngineEnv()),
      ...env,
      ...extra,
    });
    processes.push(started);
    return started;
  }

  /** Two ingest processes on a free port pair, each owning the streams hashed to it (RUNLOG_INGEST_PEERS). */
  async function startIngestPeers(): Promise<{ ingest: RunlogProcess[]; peers: string[] }> {
    const port = await freePortPair();
    const peers = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    const ingest: RunlogProcess[] = [];
    for (const index of [0, 1]) {
      ingest.push(
        await start({
          RUNLOG_ROLES: 'ingest',
          RUNLOG_PORT: String(port + index),
          RUNLOG_INGEST_PEERS: peers.join(','),
          RUNLOG_INGEST_INDEX: String(index),
        }),
      );
    }
    return { ingest, peers };
  }

  return { id, start, startIngestPeers };
}
