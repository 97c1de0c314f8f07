import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/** The checkout's root, found from here whether this runs from source (jest) or from dist/ (bench). */
export function repoRoot(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package-lock.json'))) return dir;
  }
  throw new Error(`no package-lock.json above ${from}`);
}

/** The built server: `npm test` and `npm run bench` build before they run. */
export const STANDALONE_MAIN = join(repoRoot(), 'dist', 'services', 'standalone', 'src', 'main.js');

export interface RunlogProcess {
  base: string;
  dataDir: string;
  /** The RUNLOG_* environment it was started with: where its log and store are, for a test to look behind it. */
  env: Record<string, string>;
  child: ChildProcess;
  output: () => string;
  /** SIGKILL: no shutdown hook runs, as in a crash. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'runlog-test-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Under the `integration on Kafka` jest project (test/support/distributed-mode.ts) every server the suites start
 * runs on the distributed adapters instead of the embedded ones: the global setup's Kafka broker and ClickHouse
 * (chDB over HTTP). Each data dir gets its own Kafka namespace and ClickHouse database, so a server restarted on
 * the same data dir finds its topics, group and tables again, and the suites never meet on the shared engines.
 */
export function distributedEnv(dataDir: string): Record<string, string> {
  if (process.env.RUNLOG_TEST_MODE !== 'distributed') return {};
  const brokers = process.env.RUNLOG_KAFKA_BROKERS;
  if (!brokers) throw new Error('the distributed test mode needs the global setup engines');
  const id = basename(dataDir).replace(/[^A-Za-z0-9]/g, '_');
  const { RUNLOG_S3_ENDPOINT, RUNLOG_S3_ACCESS_KEY, RUNLOG_S3_SECRET_KEY } = process.env;
  return {
    RUNLOG_KAFKA_BROKERS: brokers,
    RUNLOG_KAFKA_NAMESPACE: `${id}.`,
    ...clickhouseEngineEnv(),
    RUNLOG_CLICKHOUSE_DATABASE: id,
    ...(RUNLOG_S3_ENDPOINT && RUNLOG_S3_ACCESS_KEY && RUNLOG_S3_SECRET_KEY
      ? {
          RUNLOG_S3_ENDPOINT,
          RUNLOG_S3_ACCESS_KEY,
          RUNLOG_S3_SECRET_KEY,
          RUNLOG_S3_BUCKET: artifactBucketFor(dataDir),
        }
      : {}),
  };
}

/** The S3 bucket a distributed-mode test server on this data dir keeps its artifacts in. */
export function artifactBucketFor(dataDir: string): string {
  return `rl-${basename(dataDir)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '-')}`.slice(0, 63);
}

/** The global setup's ClickHouse (URL, and credentials when it is a container) for a server's environment. */
export function clickhouseEngineEnv(): Record<string, string> {
  const { RUNLOG_CLICKHOUSE_URL, RUNLOG_CLICKHOUSE_USER, RUNLOG_CLICKHOUSE_PASSWORD } = process.env;
  if (!RUNLOG_CLICKHOUSE_URL) throw new Error('RUNLOG_CLICKHOUSE_URL is set by the global setup');
  return {
    RUNLOG_CLICKHOUSE_URL,
    ...(RUNLOG_CLICKHOUSE_USER ? { RUNLOG_CLICKHOUSE_USER } : {}),
    ...(RUNLOG_CLICKHOUSE_PASSWORD ? { RUNLOG_CLICKHOUSE_PASSWORD } : {}),
  };
}

/**
 * Starts the built standalone server (every role unless RUNLOG_ROLES says otherwise) as its own process, on a
 * free port: on the embedded engines, or on the distributed ones under the Kafka test project (distributedEnv).
 */
export async function startRunlog(dataDir: string, env: Record<string, string> = {}): Promise<RunlogProcess> {
  // RUNLOG_* of this process (the global setup's engine addresses among them) are not inherited: a server gets
  // exactly the configuration its test names, so an embedded-mode test never lands on Kafka by accident.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('RUNLOG_')),
  );
  const runlogEnv: Record<string, string> = {
    RUNLOG_PORT: '0',
    RUNLOG_DATA_DIR: dataDir,
    RUNLOG_LOG_LEVEL: 'warn',
    ...distributedEnv(dataDir),
    ...env,
  };
  const child = spawn(process.execPath, [STANDALONE_MAIN], {
    env: { ...inherited, ...runlogEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const base = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      // Never leave a half-started server behind a failed setup.
      child.kill('SIGKILL');
      reject(new Error(`runlog did not start within 60 s:\n${output}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runlog exited with ${code} before it was ready:\n${output}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith('{"runlog":"ready"')) {
        clearTimeout(timer);
        resolveReady((JSON.parse(line) as { base: string }).base);
      }
    });
  });
  return {
    base,
    dataDir,
    env: runlogEnv,
    child,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A server of the enclosing describe block's own, started before its tests and stopped (data removed) after. */
export interface RunlogFixture {
  readonly base: string;
  readonly dataDir: string;
  /** The server process's id, to read its memory from /proc. */
  readonly pid: number;
  /** Stops the server and starts it again on the same data, with `env` instead of the block's. */
  restart(env?: Record<string, string>): Promise<void>;
}

export function useRunlog(env: Record<string, string> = {}): RunlogFixture {
  let dataDir = '';
  let server: RunlogProcess | undefined;
  beforeAll(async () => {
    dataDir = makeDataDir();
    server = await startRunlog(dataDir, env);
  });
  afterAll(async () => {
    await server?.stop();
    removeDataDir(dataDir);
  });
  return {
    get base() {
      if (!server) throw new Error('the server is not started: use the fixture inside a test');
      return server.base;
    },
    get dataDir() {
      return dataDir;
    },
    get pid() {
      const pid = server?.child.pid;
      if (pid === undefined) throw new Error('the server is not started: use the fixture inside a test');
      return pid;
    },
    async restart(restartEnv = env) {
      await server?.stop();
      server = await startRunlog(dataDir, restartEnv);
    },
  };
}
