import { createHash, randomUUID, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Client } from 'minio';
import {
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  assertRecordKey,
  assertRecordPrefix,
  assertSha256Digest,
  type ArtifactStore,
  type PutArtifactOptions,
  type StoredArtifact,
} from './artifact-store';

export interface S3ArtifactStoreConfig {
  /** `http://127.0.0.1:9100` or `https://s3.example.com`. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region?: string;
  /** Multipart part size; the client buffers one part, so this bounds an upload's memory. */
  partSizeBytes?: number;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const INCOMING_PREFIX = 'incoming/';
const DIGEST_PREFIX = 'sha256/';
const RECORD_PREFIX = 'records/';
const OCTET_STREAM = { 'Content-Type': 'application/octet-stream' };

/**
 * The S3 ArtifactStore adapter (MinIO or any S3). The digest is known only once the last byte went by, so content
 * is streamed under a temporary key while hashed, then copied server-side to `sha256/<ab>/<cdef…>` (or dropped
 * when that key already exists: identical content is stored once). A single server-side copy is limited to 5 GiB
 * by S3; maxBytes must stay under it.
 */
export class S3ArtifactStore implements ArtifactStore {
  private constructor(
    private readonly client: Client,
    private readonly bucket: string,
    private readonly partSize: number,
  ) {}

  static async connect(config: S3ArtifactStoreConfig): Promise<S3ArtifactStore> {
    const url = new URL(config.endpoint);
    const client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      useSSL: url.protocol === 'https:',
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region ?? 'us-east-1',
      partSize: config.partSizeBytes ?? DEFAULT_PART_SIZE,
    });
    if (!(await client.bucketExists(config.bucket))) {
      await client.makeBucket(config.bucket, config.region ?? 'us-east-1').catch(async (error: unknown) => {
        // Another process may have made it in between; only a bucket that is still missing is an error.
        if (!(await client.bucketExists(config.bucket))) throw error;
      });
    }
    return new S3ArtifactStore(client, config.bucket, config.partSizeBytes ?? DEFAULT_PART_SIZE);
  }

  async put(content: Readable, { maxBytes }: PutArtifactOptions): Promise<StoredArtifact> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    const tempKey = `${INCOMING_PREFIX}${randomUUID()}`;
    const hash = createHash('sha256');
    const meter = { size: 0 };
    const chunks = metered(content, maxBytes, hash, meter)[Symbol.asyncIterator]();
    try {
      // Content that fits in one part goes up as one PUT of known size; the client's multipart path cannot
      // upload zero bytes and does not notice a source that fails, so only larger content streams through it.
      const head: Buffer[] = [];
      let headBytes = 0;
      let ended = false;
      while (headBytes < this.partSize) {
        const next = await chunks.next();
        if (next.done) {
          ended = true;
          break;
        }
        head.push(next.value);
        headBytes += next.value.byteLength;
      }
      if (ended) {
        await this.client.putObject(this.bucket, tempKey, Buffer.concat(head), headBytes, OCTET_STREAM);
      } else {
        const body = new PassThrough();
        // The source's failure reaches the caller through pump(); the body only has to stop the upload.
        body.on('error', () => undefined);
        await Promise.all([
          this.client.putObject(this.bucket, tempKey, body, undefined, OCTET_STREAM),
          pump(head, chunks, body),
        ]);
      }
      const digest = hash.digest('hex');
      const key = keyOf(digest);
      const deduplicated = await this.objectExists(key);
      if (!deduplicated) await this.client.copyObject(this.bucket, key, `/${this.bucket}/${tempKey}`);
      await this.client.removeObject(this.bucket, tempKey);
      return { digest, size: meter.size, deduplicated };
    } catch (error) {
      await chunks.return?.(undefined);
      await this.discard(tempKey);
      throw error;
    }
  }

  async get(digest: string): Promise<Readable> {
    const key = keyOf(digest);
    if (!(await this.objectExists(key))) throw new ArtifactNotFoundError(digest);
    return this.client.getObject(this.bucket, key);
  }

  async exists(digest: string): Promise<boolean> {
    return this.objectExists(keyOf(digest));
  }

  async sizeOf(digest: string): Promise<number | null> {
    try {
      return (await this.client.statObject(this.bucket, keyOf(digest))).size;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async putRecord(key: string, content: Buffer): Promise<void> {
    assertRecordKey(key);
    // One PUT: S3 keeps an object whole or not at all.
    await this.client.putObject(this.bucket, RECORD_PREFIX + key, content, content.length, OCTET_STREAM);
  }

  async getRecord(key: string): Promise<Buffer | null> {
    assertRecordKey(key);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.client.getObject(this.bucket, RECORD_PREFIX + key)) {
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async listRecords(prefix: string): Promise<string[]> {
    assertRecordPrefix(prefix);
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, RECORD_PREFIX + prefix, true)) {
      if (item.name) keys.push(item.name.slice(RECORD_PREFIX.length));
    }
    return keys.sort();
  }

  /** Every key in the bucket: for tests and audits (what a failed upload must not leave behind). */
  async listKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, '', true)) {
      if (item.name) keys.push(item.name);
    }
    const incomplete: string[] = [];
    for await (const upload of this.client.listIncompleteUploads(this.bucket, INCOMING_PREFIX, true)) {
      incomplete.push(`(incomplete) ${upload.key}`);
    }
    return [...keys, ...incomplete].sort();
  }

  private async objectExists(key: string): Promise<boolean> {
    try {
      await this.client.statObject(this.bucket, key);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async discard(tempKey: string): Promise<void> {
    await this.client.removeIncompleteUpload(this.bucket, tempKey).catch(() => undefined);
    await this.client.removeObject(this.bucket, tempKey).catch(() => undefined);
  }
}

/** The source's bytes, hashed and counted on the way; past maxBytes it stops (and destroys the source). */
async function* metered(
  content: Readable,
  maxBytes: number,
  hash: Hash,
  meter: { size: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of content as AsyncIterable<unknown>) {
    const bytes = toBytes(chunk);
    meter.size += bytes.byteLength;
    // Checked before passing the bytes on, so an oversized upload never sends more than maxBytes.
    if (meter.size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
    hash.update(bytes);
    yield bytes;
  }
}

/** Feeds the upload body with backpressure; a failing source fails the body and this promise. */
async function pump(head: Buffer[], rest: AsyncIterator<Buffer>, body: PassThrough): Promise<void> {
  try {
    for (const chunk of head) if (!body.write(chunk)) await once(body, 'drain');
    for (;;) {
      const next = await rest.next();
      if (next.done) break;
      if (!body.write(next.value)) await once(body, 'drain');
    }
    body.end();
  } catch (error) {
    body.destroy(error as Error);
    throw error;
  }
}

function toBytes(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('artifact content must be a stream of bytes or strings');
}

function keyOf(digest: string): string {
  assertSha256Digest(digest);
  return `${DIGEST_PREFIX}${digest.slice(0, 2)}/${digest.slice(2)}`;
}

function isNotFound(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === 'NotFound' || code === 'NoSuchKey';
}
