import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
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

export interface LocalArtifactStoreConfig {
  /** Folder that holds `sha256/<first two hex digits>/<other 62>`; created on first put. */
  root: string;
}

/** The embedded ArtifactStore adapter: content-addressed files in a local folder. */
export class LocalArtifactStore implements ArtifactStore {
  private readonly digestRoot: string;
  private readonly recordRoot: string;

  constructor(config: LocalArtifactStoreConfig) {
    this.digestRoot = join(config.root, 'sha256');
    this.recordRoot = join(config.root, 'records');
  }

  async put(content: Readable, { maxBytes }: PutArtifactOptions): Promise<StoredArtifact> {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    }
    await mkdir(this.digestRoot, { recursive: true });
    // Under the same root as the final path, so the rename below stays on one filesystem and is atomic.
    const tempPath = join(this.digestRoot, `.incoming-${randomUUID()}`);
    try {
      const { digest, size } = await receive(content, tempPath, maxBytes);
      const finalPath = this.pathOf(digest);
      if (await isFile(finalPath)) {
        await rm(tempPath);
        return { digest, size, deduplicated: true };
      }
      await mkdir(dirname(finalPath), { recursive: true });
      // Two concurrent puts of the same new content may both get here; the second rename replaces the first
      // file with identical bytes, so readers never see a partial or different file either way.
      await rename(tempPath, finalPath);
      await syncDirectory(dirname(finalPath));
      return { digest, size, deduplicated: false };
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  async get(digest: string): Promise<Readable> {
    const path = this.pathOf(digest);
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) throw new ArtifactNotFoundError(digest);
      throw error;
    }
    // The stream owns the handle from here and closes it when it ends or is destroyed.
    return file.createReadStream();
  }

  async exists(digest: string): Promise<boolean> {
    return isFile(this.pathOf(digest));
  }

  async sizeOf(digest: string): Promise<number | null> {
    try {
      const found = await stat(this.pathOf(digest));
      return found.isFile() ? found.size : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async putRecord(key: string, content: Buffer): Promise<void> {
    assertRecordKey(key);
    const path = join(this.recordRoot, key);
    await mkdir(dirname(path), { recursive: true });
    const tempPath = join(dirname(path), `.incoming-${randomUUID()}`);
    try {
      const file = await open(tempPath, 'wx');
      try {
        await writeAll(file, content);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tempPath, path);
      await syncDirectory(dirname(path));
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
  }

  async getRecord(key: string): Promise<Buffer | null> {
    assertRecordKey(key);
    try {
      return await readFile(join(this.recordRoot, key));
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async listRecords(prefix: string): Promise<string[]> {
    assertRecordPrefix(prefix);
    let names: string[];
    try {
      names = await readdir(this.recordRoot, { recursive: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    const keys: string[] = [];
    for (const name of names) {
      const key = name.split(sep).join('/');
      if (!key.startsWith(prefix) || key.split('/').some((part) => part.startsWith('.'))) continue;
      if (await isFile(join(this.recordRoot, name))) keys.push(key);
    }
    return keys.sort();
  }

  private pathOf(digest: string): string {
    assertSha256Digest(digest);
    return join(this.digestRoot, digest.slice(0, 2), digest.slice(2));
  }
}

/** Streams `content` into a new file at `tempPath` while hashing it, then makes the file durable. */
async function receive(
  content: Readable,
  tempPath: string,
  maxBytes: number,
): Promise<{ digest: string; size: number }> {
  const file = await open(tempPath, 'wx');
  try {
    const hash = createHash('sha256');
    let size = 0;
    // One chunk in memory at a time; leaving the loop early (too large, write error) destroys the source.
    for await (const chunk of content as AsyncIterable<unknown>) {
      const bytes = toBytes(chunk);
      size += bytes.byteLength;
      // Checked before writing, so an oversized upload never puts more than maxBytes on disk.
      if (size > maxBytes) throw new ArtifactTooLargeError(maxBytes);
      hash.update(bytes);
      await writeAll(file, bytes);
    }
    await file.sync();
    return { digest: hash.digest('hex'), size };
  } finally {
    await file.close();
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  // Streams in string mode (Readable.from('text'), setEncoding) are taken as UTF-8 text.
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('artifact content must be a stream of bytes or strings');
}

/** A write to a file may be partial; keep going until every byte is down. */
async function writeAll(file: FileHandle, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.byteLength) {
    const { bytesWritten } = await file.write(bytes, offset);
    offset += bytesWritten;
  }
}

/** Makes a rename durable: the new directory entry survives a crash once its folder is synced. */
async function syncDirectory(path: string): Promise<void> {
  let folder: FileHandle;
  try {
    folder = await open(path, 'r');
  } catch (error) {
    // Some platforms (Windows) cannot open a folder for syncing; the rename itself is still atomic there.
    if (hasCode(error, 'EISDIR') || hasCode(error, 'EPERM')) return;
    throw error;
  }
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR');
}

// Duck-typed, not `instanceof Error`: errors made by node:fs can come from another realm (jest's vm sandbox).
function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
