import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { ArtifactNotFoundError, ArtifactTooLargeError, InvalidDigestError } from './artifact-store';
import { LocalArtifactStore } from './local-artifact-store';

const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

/** The content as a stream of small chunks, the way an upload arrives. */
const upload = (content: string, chunkSize = 7): Readable => {
  const bytes = Buffer.from(content);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
};

/** Every file under `folder`, relative to it: what the store left on disk. */
const filesUnder = async (folder: string): Promise<string[]> => {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
};

const weights = 'layer.0.weight: 0.125, -0.5, 0.75\n'.repeat(100);

describe('LocalArtifactStore', () => {
  let root: string;
  let store: LocalArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runlog-artifacts-'));
    store = new LocalArtifactStore({ root });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('stores content under its sha256 and gives the same bytes back', async () => {
    const stored = await store.put(upload(weights), { maxBytes: 1_000_000 });

    expect(stored).toEqual({
      digest: sha256(weights),
      size: Buffer.byteLength(weights),
      deduplicated: false,
    });
    expect(await store.exists(stored.digest)).toBe(true);
    expect(await text(await store.get(stored.digest))).toBe(weights);
    expect(await filesUnder(root)).toEqual([
      join('sha256', stored.digest.slice(0, 2), stored.digest.slice(2)),
    ]);
  });

  it('stores empty content, and binary content byte for byte', async () => {
    expect(await store.put(Readable.from([]), { maxBytes: 0 })).toEqual({
      digest: sha256(''),
      size: 0,
      deduplicated: false,
    });

    const binary = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
    const stored = await store.put(Readable.from([binary]), { maxBytes: 256 });
    expect(stored.digest).toBe(sha256(binary));
    const chunks: Buffer[] = [];
    for await (const chunk of await store.get(stored.digest)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(binary)).toBe(true);
  });

  it('streams content larger than any one chunk, and streams it back the same way', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const chunkCount = 128;
    const expectedDigest = createHash('sha256');
    for (let index = 0; index < chunkCount; index++) expectedDigest.update(chunk);

    const stored = await store.put(Readable.from(Array.from({ length: chunkCount }, () => chunk)), {
      maxBytes: chunk.length * chunkCount,
    });
    expect(stored).toMatchObject({ digest: expectedDigest.digest('hex'), size: chunk.length * chunkCount });

    let readBack = 0;
    let chunksRead = 0;
    for await (const part of await store.get(stored.digest)) {
      readBack += (part as Buffer).length;
      chunksRead++;
    }
    expect(readBack).toBe(stored.size);
    expect(chunksRead).toBeGreaterThan(1);
  });

  it('stores identical content once and says so', async () => {
    const first = await store.put(upload(weights), { maxBytes: 1_000_000 });
    const second = await store.put(upload(weights, 64), { maxBytes: 1_000_000 });

    expect(second).toEqual({ ...first, deduplicated: true });
    expect(await filesUnder(root)).toHaveLength(1);
  });

  it('accepts content of exactly maxBytes', async () => {
    const stored = await store.put(upload('0123456789'), { maxBytes: 10 });
    expect(stored.size).toBe(10);
  });

  it('aborts content past maxBytes and leaves nothing behind', async () => {
    const source = upload(weights);
    await expect(store.put(source, { maxBytes: 100 })).rejects.toMatchObject({
      constructor: ArtifactTooLargeError,
      code: 'artifact_too_large',
      maxBytes: 100,
    });

    expect(source.destroyed).toBe(true);
    expect(await filesUnder(root)).toEqual([]);
    expect(await store.exists(sha256(weights))).toBe(false);
  });

  it('leaves nothing behind when the upload itself fails midway', async () => {
    const broken = Readable.from(
      (async function* () {
        yield Buffer.from('half of the file');
        throw new Error('connection reset');
      })(),
    );
    await expect(store.put(broken, { maxBytes: 1_000_000 })).rejects.toThrow('connection reset');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('refuses a maxBytes that is not a non-negative integer', async () => {
    await expect(store.put(upload('x'), { maxBytes: -1 })).rejects.toThrow(RangeError);
    await expect(store.put(upload('x'), { maxBytes: Number.NaN })).rejects.toThrow(RangeError);
  });

  it.each([
    { why: 'too short', digest: 'abc' },
    { why: 'uppercase', digest: sha256(weights).toUpperCase() },
    { why: 'a path', digest: `../../${'0'.repeat(58)}` },
    { why: 'not hex', digest: 'g'.repeat(64) },
    { why: 'empty', digest: '' },
  ])('rejects a digest that is $why before touching the filesystem', async ({ digest }) => {
    await expect(store.get(digest)).rejects.toMatchObject({
      constructor: InvalidDigestError,
      code: 'invalid_digest',
    });
    await expect(store.exists(digest)).rejects.toBeInstanceOf(InvalidDigestError);
  });

  it('reports a well-formed digest with nothing stored as artifact_not_found', async () => {
    const missing = sha256('never uploaded');
    expect(await store.exists(missing)).toBe(false);
    await expect(store.get(missing)).rejects.toMatchObject({
      constructor: ArtifactNotFoundError,
      code: 'artifact_not_found',
      digest: missing,
    });
  });
});
