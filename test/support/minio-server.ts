import { runStackScript } from './stack-script';

export interface MinioTarget {
  port: number;
  consolePort: number;
  /** Data and run files (pid, log, lock) of this server only; the built binary stays cached in ~/.cache/runlog. */
  dataDir: string;
  runDir: string;
}

/** Test credentials of a server the global setup starts; never used outside the test run. */
export const TEST_S3_CREDENTIALS = { accessKey: 'runlog-test', secretKey: 'runlog-test-secret' };

/** Runs deploy/stack/minio.sh for one server; throws with the script's output when it fails. */
export function minioStack(command: 'up' | 'down', target: MinioTarget): string {
  const env = {
    S3_PORT: String(target.port),
    S3_CONSOLE_PORT: String(target.consolePort),
    S3_DATA_DIR: target.dataDir,
    S3_RUN_DIR: target.runDir,
    S3_ACCESS_KEY: TEST_S3_CREDENTIALS.accessKey,
    S3_SECRET_KEY: TEST_S3_CREDENTIALS.secretKey,
  };
  // A machine without the cached binary builds MinIO first: about 4 minutes on 2 cores.
  return runStackScript('minio.sh', command, env, 900_000);
}
