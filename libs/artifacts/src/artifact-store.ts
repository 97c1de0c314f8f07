import type { Readable } from 'node:stream';

/** Nest injection token for the ArtifactStore port; services bind it to the local or the S3 adapter. */
export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');
/** The most bytes one artifact may hold (RUNLOG_MAX_ARTIFACT_BYTES). */
export const ARTIFACT_MAX_BYTES = Symbol('ARTIFACT_MAX_BYTES');

export interface PutArtifactOptions {
  /** Uploads longer than this are aborted and nothing is kept. */
  maxBytes: number;
}

export interface StoredArtifact {
  /** sha256 of the content, 64 lowercase hex digits: the artifact's address. */
  digest: string;
  size: number;
  /** True when identical content was already stored: it is kept once. */
  deduplicated: boolean;
}

/**
 * Content-addressed artifact storage: content goes in, its sha256 comes out, and the digest is the only way
 * back to the bytes. Stored content never changes, so readers may cache by digest forever.
 */
export interface ArtifactStore {
  put(content: Readable, options: PutArtifactOptions): Promise<StoredArtifact>;
  /** Rejects with ArtifactNotFoundError before any byte is streamed when nothing is stored under `digest`. */
  get(digest: string): Promise<Readable>;
  exists(digest: string): Promise<boolean>;
  /** Bytes stored under the digest, or null when nothing is. */
  sizeOf(digest: string): Promise<number | null>;
  /**
   * Small named records kept beside the content (signed audit checkpoints): a record is written whole or not at
   * all, and listed by key prefix. Keys are checked by assertRecordKey.
   */
  putRecord(key: string, content: Buffer): Promise<void>;
  /** The record's bytes, or null when there is none under `key`. */
  getRecord(key: string): Promise<Buffer | null>;
  /** Keys starting with `prefix`, sorted. */
  listRecords(prefix: string): Promise<string[]>;
}

/** Errors of artifact storage carry a stable `code` for the HTTP edge; none of them goes away on retry. */
export abstract class ArtifactError extends Error {
  abstract readonly code: string;
  readonly retry = false;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class ArtifactNotFoundError extends ArtifactError {
  readonly code = 'artifact_not_found';
  constructor(readonly digest: string) {
    super(`no artifact with digest ${digest}`);
  }
}

export class ArtifactTooLargeError extends ArtifactError {
  readonly code = 'artifact_too_large';
  constructor(readonly maxBytes: number) {
    super(`artifact is larger than the limit of ${maxBytes} bytes`);
  }
}

export class InvalidDigestError extends ArtifactError {
  readonly code = 'invalid_digest';
  constructor(readonly digest: string) {
    super(`not a sha256 digest (64 lowercase hex digits): ${JSON.stringify(digest.slice(0, 80))}`);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Digests become storage paths and object keys: anything but 64 lowercase hex digits is refused first. */
export function assertSha256Digest(digest: string): void {
  if (typeof digest !== 'string' || !SHA256_HEX.test(digest)) throw new InvalidDigestError(String(digest));
}

const RECORD_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Record keys become file paths and object keys: segments of letters, digits, '.', '_', '-', none led by a dot. */
export function assertRecordKey(key: string, what = 'record key'): void {
  if (typeof key !== 'string' || key.length > 512 || !RECORD_KEY.test(key)) {
    throw new RangeError(`not a ${what}: ${JSON.stringify(String(key).slice(0, 80))}`);
  }
}

/** A prefix is a key or the start of one: a key, optionally ending in '/', or empty. */
export function assertRecordPrefix(prefix: string): void {
  if (prefix === '') return;
  assertRecordKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix, 'record key prefix');
}
