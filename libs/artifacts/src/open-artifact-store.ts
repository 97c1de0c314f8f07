import { join } from 'node:path';
import type { ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';
import { S3ArtifactStore, type S3ArtifactStoreConfig } from './s3-artifact-store';

export type S3Location = Required<
  Pick<S3ArtifactStoreConfig, 'endpoint' | 'accessKey' | 'secretKey' | 'bucket' | 'region'>
>;

/** The S3 variables (RUNLOG_S3_ENDPOINT and the rest): an S3 server for artifacts, or undefined when they live in the data dir. */
export function s3LocationFromEnv(env: Record<string, string | undefined>): S3Location | undefined {
  const endpoint = env.RUNLOG_S3_ENDPOINT;
  if (!endpoint) return undefined;
  if (!/^https?:\/\/[^/]+\/?$/.test(endpoint))
    throw new Error(`RUNLOG_S3_ENDPOINT must be a URL like http://host:port, got "${endpoint}"`);
  const accessKey = env.RUNLOG_S3_ACCESS_KEY;
  const secretKey = env.RUNLOG_S3_SECRET_KEY;
  if (!accessKey || !secretKey)
    throw new Error('RUNLOG_S3_ENDPOINT needs RUNLOG_S3_ACCESS_KEY and RUNLOG_S3_SECRET_KEY');
  const bucket = env.RUNLOG_S3_BUCKET || 'runlog-artifacts';
  // S3's bucket naming rules, so a typo fails at start and not at the first upload.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new Error(`RUNLOG_S3_BUCKET: "${bucket}" is not a valid S3 bucket name`);
  return { endpoint, accessKey, secretKey, bucket, region: env.RUNLOG_S3_REGION || 'us-east-1' };
}

/** The data dir's folder for artifacts when no S3 server is named. */
export function localArtifactRoot(dataDir: string): string {
  return join(dataDir, 'artifacts');
}

export function describeArtifactLocation(s3: S3Location | undefined, dataDir: string): string {
  return s3 ? `s3://${s3.bucket} at ${s3.endpoint}` : localArtifactRoot(dataDir);
}

/** S3 when a server is named (the bucket is made if missing), else the data dir's folder. */
export async function openArtifactStoreAt(
  s3: S3Location | undefined,
  dataDir: string,
): Promise<ArtifactStore> {
  if (!s3) return new LocalArtifactStore({ root: localArtifactRoot(dataDir) });
  return S3ArtifactStore.connect(s3).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`RUNLOG_S3_ENDPOINT ${s3.endpoint} (bucket ${s3.bucket}): ${reason}`, { cause: error });
  });
}
