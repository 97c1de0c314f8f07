import { runStackScript, runStackScriptAsync } from './stack-script';

export interface MinioTarget {
  port: number;
  consolePort: number;
  /** Data and run files (pid, log, lock) of this server only; the built binary stays cached in ~/.cache/runlog. */
  dataDir: string;
  runDir: string;
}

/** Test credentials of a server the global setup starts; never used outside the test run. */
export const TEST_S3_CREDENTIALS = { accessKey: 'runlog-test', secretKey: 'runlog-test-secret' };

const stackEnv = (target: MinioTarget) => ({
  S3_PORT: String(target.port),
  S3_CONSOLE_PORT: String(target.consolePort),
  S3_DATA_DIR: target.dataDir,
  S3_RUN_DIR: target.runDir,
  S3_ACCESS_KEY: TEST_S3_CREDENTIALS.accessKey,
  S3_SECRET_KEY: TEST_S3_CREDENTIALS.secretKey,
});

// A machine without the cached binary builds MinIO first: about 3 to 4 minutes on 2 cores.
const MINIO_SCRIPT_TIMEOUT_MS = 900_000;

/** Runs deploy/stack/minio.sh for one server; throws with the script's output when it fails. */
export function minioStack(command: 'up' | 'down', target: MinioTarget): string {
  return runStackScript('minio.sh', command, stackEnv(target), MINIO_SCRIPT_TIMEOUT_MS);
}

/** minioStack without blocking the event loop (the global setup installs Python venvs while MinIO builds). */
export function minioStackAsync(command: 'up' | 'down', target: MinioTarget): Promise<string> {
  return runStackScriptAsync('minio.sh', command, stackEnv(target), MINIO_SCRIPT_TIMEOUT_MS);
}
