import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ARTIFACT_MAX_BYTES } from '../../../../libs/artifacts/src/artifact-store';
import { invalid, MlflowError, notFound } from '../protocol/mlflow-error';

/** S3's limit, which MLflow's client keeps to (it asks for ceil(size / chunk size) parts). */
export const MAX_PARTS = 10_000;
/** Uploads open at once in this process: a client that never completes one cannot hold more. */
export const MAX_OPEN_UPLOADS = 256;
/** An upload neither completed nor aborted by then is dropped with its parts. */
export const UPLOAD_TTL_MS = 6 * 60 * 60 * 1000;

export interface UploadTarget {
  experimentId: string;
  runId: string;
  rawPath: string;
}

interface StagedPart {
  size: number;
  sha256: string;
}

interface Upload extends UploadTarget {
  dir: string;
  parts: number;
  staged: Map<number, StagedPart>;
  /** Part numbers being written now: a second writer of the same part is refused, not interleaved. */
  writing: Set<number>;
  /** Being completed: its parts are read into the artifact, so none may be written until it fails or ends. */
  sealed: boolean;
  expiresAt: number;
}

/** The ETag a part answers: its sha256, quoted as HTTP spells an entity tag. */
const etagOf = (sha256: string) => `"${sha256}"`;
const unquote = (etag: string) =>
  etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');

/**
 * MLflow's proxied multipart upload, staged in this process: `create` opens an upload under an unguessable id and
 * names a URL per part (like a presigned S3 URL, it carries the id and no credential); each part is written to a
 * temporary file as it arrives, its sha256 the ETag; `complete` checks the client's list of parts and ETags against
 * what was staged and streams them, in order, as one file to the run's native upload (so the file is stored and
 * recorded exactly as a single PUT would be); `abort`, completion and expiry delete the parts. Bounded: at most
 * MAX_OPEN_UPLOADS uploads, MAX_PARTS parts each, no more staged bytes in one than an artifact may hold, and no
 * more in all than two artifacts may (the rest wait: the client is told to retry).
 */
@Injectable()
export class MultipartUploads implements OnModuleDestroy {
  private readonly uploads = new Map<string, Upload>();
  /** Bytes in every upload's part files, those being written included. */
  private stagedBytes = 0;

  constructor(@Inject(ARTIFACT_MAX_BYTES) private readonly maxBytes: number) {}

  async create(target: UploadTarget, parts: number): Promise<string> {
    if (!Number.isInteger(parts) || parts < 1 || parts > MAX_PARTS) {
      throw invalid(`Invalid value ${parts} for parameter 'num_parts': it must be 1 to ${MAX_PARTS}`);
    }
    await this.expire();
    if (this.uploads.size >= MAX_OPEN_UPLOADS) {
      throw new MlflowError(
        'REQUEST_LIMIT_EXCEEDED',
        `${MAX_OPEN_UPLOADS} multipart uploads are open: complete or abort one first`,
      );
    }
    const id = randomBytes(32).toString('base64url');
    const dir = await mkdtemp(join(tmpdir(), 'runlog-mpu-'));
    this.uploads.set(id, {
      ...target,
      dir,
      parts,
      staged: new Map(),
      writing: new Set(),
      sealed: false,
      expiresAt: Date.now() + UPLOAD_TTL_MS,
    });
    return id;
  }

  /** Writes one part from `body` (a part sent again replaces the earlier one); answers its ETag. */
  async writePart(id: string, part: number, body: Readable): Promise<string> {
    const upload = this.open(id);
    if (!Number.isInteger(part) || part < 1 || part > upload.parts) {
      throw invalid(`Invalid part number ${part}: this upload has parts 1 to ${upload.parts}`);
    }
    if (upload.writing.has(part)) {
      throw new MlflowError('RESOURCE_CONFLICT', `part ${part} of this upload is being written now`);
    }
    if (upload.sealed) throw new MlflowError('RESOURCE_CONFLICT', 'this upload is being completed');
    upload.writing.add(part);
    try {
      const hash = createHash('sha256');
      let size = 0;
      const others = [...upload.staged].reduce(
        (sum, [n, staged]) => (n === part ? sum : sum + staged.size),
        0,
      );
      const counted = new Transform({
        transform: (chunk: Buffer, _encoding, done) => {
          size += chunk.length;
          this.stagedBytes += chunk.length;
          if (this.stagedBytes > 2 * this.maxBytes) {
            done(
              new MlflowError(
                'TEMPORARILY_UNAVAILABLE',
                'too many bytes are staged in multipart uploads now',
              ),
            );
            return;
          }
          if (others + size > this.maxBytes) {
            done(
              new MlflowError(
                'INVALID_PARAMETER_VALUE',
                `the upload's parts hold more than the ${this.maxBytes} bytes an artifact may hold`,
              ),
            );
            return;
          }
          hash.update(chunk);
          done(null, chunk);
        },
      });
      const replaced = upload.staged.get(part)?.size ?? 0;
      try {
        await pipeline(body, counted, createWriteStream(this.partFile(upload, part)));
      } catch (error) {
        // The file holds what arrived, over the part it replaced: both are forgotten, and the file removed.
        this.stagedBytes -= size + replaced;
        upload.staged.delete(part);
        await rm(this.partFile(upload, part), { force: true });
        throw error;
      }
      this.stagedBytes -= replaced;
      const sha256 = hash.digest('hex');
      upload.staged.set(part, { size, sha256 });
      return etagOf(sha256);
    } finally {
      upload.writing.delete(part);
    }
  }

  /**
   * The staged parts, checked against the client's list (every part, each ETag the one its part answered), as one
   * stream in part order, and its length. The upload stays until `finish`, so a completion that fails can be retried.
   */
  assemble(
    id: string,
    listed: { part: number; etag: string }[],
  ): { upload: UploadTarget; body: Readable; length: number } {
    const upload = this.open(id);
    const numbers = listed.map(({ part }) => part).sort((a, b) => a - b);
    if (numbers.length !== upload.parts || numbers.some((n, index) => n !== index + 1)) {
      throw invalid(`The parts listed must be 1 to ${upload.parts}, each once; got ${numbers.join(', ')}`);
    }
    for (const { part, etag } of listed) {
      const staged = upload.staged.get(part);
      if (!staged) throw invalid(`Part ${part} was never uploaded`);
      if (unquote(etag) !== staged.sha256) {
        throw invalid(`The ETag of part ${part} is not the one its upload answered`);
      }
    }
    if (upload.writing.size > 0) throw new MlflowError('RESOURCE_CONFLICT', 'parts are still being written');
    upload.sealed = true;
    const length = [...upload.staged.values()].reduce((sum, staged) => sum + staged.size, 0);
    const body = new PassThrough();
    void (async () => {
      for (let part = 1; part <= upload.parts; part++) {
        await pipeline(createReadStream(this.partFile(upload, part)), body, { end: false });
      }
      body.end();
    })().catch((error: Error) => body.destroy(error));
    return { upload, body, length };
  }

  /** A completion that failed: its parts may be sent again, and it completed again. */
  unseal(id: string): void {
    const upload = this.uploads.get(id);
    if (upload) upload.sealed = false;
  }

  /** Completed or aborted: the parts are deleted. Not while a part is being written (its bytes are counted). */
  async finish(id: string): Promise<void> {
    const upload = this.open(id);
    if (upload.writing.size > 0) throw new MlflowError('RESOURCE_CONFLICT', 'parts are still being written');
    await this.drop(id, upload);
  }

  private async drop(id: string, upload: Upload): Promise<void> {
    this.uploads.delete(id);
    this.stagedBytes -= [...upload.staged.values()].reduce((sum, staged) => sum + staged.size, 0);
    await rm(upload.dir, { recursive: true, force: true });
  }

  /** The target an open upload writes to. */
  targetOf(id: string): UploadTarget {
    return this.open(id);
  }

  async onModuleDestroy(): Promise<void> {
    const dirs = [...this.uploads.values()].map((upload) => upload.dir);
    this.uploads.clear();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }

  private open(id: string): Upload {
    const upload = this.uploads.get(id);
    if (!upload || upload.expiresAt < Date.now()) throw notFound(`Multipart upload ${id} not found`);
    return upload;
  }

  private partFile(upload: Upload, part: number): string {
    return join(upload.dir, String(part));
  }

  private async expire(): Promise<void> {
    const now = Date.now();
    for (const [id, upload] of this.uploads) {
      if (upload.expiresAt >= now || upload.writing.size > 0) continue;
      await this.drop(id, upload);
    }
  }
}
