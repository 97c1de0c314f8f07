import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import {
  ArtifactNotFoundError,
  ArtifactTooLargeError,
  InvalidDigestError,
  type ArtifactStore,
} from '../src/artifact-store';

export const sha256 = (content: string | Buffer): string =>
  createHash('sha256').update(content).digest('hex');

/** The content as a stream of small chunks, the way an upload arrives. */
export const upload = (content: string, chunkSize = 7): Readable => {
  const bytes = Buffer.from(content);
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize)
    chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
};

export const weights = 'layer.0.weight: 0.125, -0.5, 0.75\n'.repeat(100);

export interface ArtifactStoreSubject {
  store: ArtifactStore;
  /** Everything the store holds in its backing storage, finished or not: what a failed put must not leave. */
  storedObjects(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** What every ArtifactStore adapter guarantees: the local folder and S3 run the same cases. */
export function artifactStoreContract(name: string, make: () => Promise<ArtifactStoreSubject>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let subject: ArtifactStoreSubject;

    beforeEach(async () => {
      subject = await make();
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    it('stores content under its sha256 and gives the same bytes back', async () => {
      const stored = await subject.store.put(upload(weights), { maxBytes: 1_000_000 });

      expect(stored).toEqual({
        digest: sha256(weights),
        size: Buffer.byteLength(weights),
        deduplicated: false,
      });
      expect(await subject.store.exists(stored.digest)).toBe(true);
      expect(await subject.store.sizeOf(stored.digest)).toBe(Buffer.byteLength(weights));
      expect(await text(await subject.store.get(stored.digest))).toBe(weights);
      expect(await subject.storedObjects()).toHaveLength(1);
    });

    it('stores empty content, and binary content byte for byte', async () => {
      expect(await subject.store.put(Readable.from([]), { maxBytes: 0 })).toEqual({
        digest: sha256(''),
        size: 0,
        deduplicated: false,
      });

      const binary = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
      const stored = await subject.store.put(Readable.from([binary]), { maxBytes: 256 });
      expect(stored.digest).toBe(sha256(binary));
      const chunks: Buffer[] = [];
      for await (const chunk of await subject.store.get(stored.digest)) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(binary)).toBe(true);
    });

    it('streams content larger than any one chunk, and streams it back the same way', async () => {
      const chunk = Buffer.alloc(64 * 1024, 7);
      const chunkCount = 128;
      const expectedDigest = createHash('sha256');
      for (let index = 0; index < chunkCount; index++) expectedDigest.update(chunk);

      const stored = await subject.store.put(Readable.from(Array.from({ length: chunkCount }, () => chunk)), {
        maxBytes: chunk.length * chunkCount,
      });
      expect(stored).toMatchObject({ digest: expectedDigest.digest('hex'), size: chunk.length * chunkCount });

      let readBack = 0;
      let chunksRead = 0;
      for await (const part of await subject.store.get(stored.digest)) {
        readBack += (part as Buffer).length;
        chunksRead++;
      }
      expect(readBack).toBe(stored.size);
      expect(chunksRead).toBeGreaterThan(1);
    });

    it('stores identical content once and says so', async () => {
      const first = await subject.store.put(upload(weights), { maxBytes: 1_000_000 });
      const second = await subject.store.put(upload(weights, 64), { maxBytes: 1_000_000 });

      expect(second).toEqual({ ...first, deduplicated: true });
      expect(await subject.storedObjects()).toHaveLength(1);
    });

    it('accepts content of exactly maxBytes', async () => {
      const stored = await subject.store.put(upload('0123456789'), { maxBytes: 10 });
      expect(stored.size).toBe(10);
    });

    it('aborts content past maxBytes and leaves nothing behind', async () => {
      const source = upload(weights);
      await expect(subject.store.put(source, { maxBytes: 100 })).rejects.toMatchObject({
        constructor: ArtifactTooLargeError,
        code: 'artifact_too_large',
        maxBytes: 100,
      });

      expect(source.destroyed).toBe(true);
      expect(await subject.storedObjects()).toEqual([]);
      expect(await subject.store.exists(sha256(weights))).toBe(false);
    });

    it('leaves nothing behind when the upload itself fails midway', async () => {
      const broken = Readable.from(
        (async function* () {
          yield Buffer.from('half of the file');
          throw new Error('connection reset');
        })(),
      );
      await expect(subject.store.put(broken, { maxBytes: 1_000_000 })).rejects.toThrow('connection reset');
      expect(await subject.storedObjects()).toEqual([]);
    });

    it('refuses a maxBytes that is not a non-negative integer', async () => {
      await expect(subject.store.put(upload('x'), { maxBytes: -1 })).rejects.toThrow(RangeError);
      await expect(subject.store.put(upload('x'), { maxBytes: Number.NaN })).rejects.toThrow(RangeError);
    });

    it.each([
      { why: 'too short', digest: 'abc' },
      { why: 'uppercase', digest: sha256(weights).toUpperCase() },
      { why: 'a path', digest: `../../${'0'.repeat(58)}` },
      { why: 'not hex', digest: 'g'.repeat(64) },
      { why: 'empty', digest: '' },
    ])('rejects a digest that is $why before touching storage', async ({ digest }) => {
      await expect(subject.store.get(digest)).rejects.toMatchObject({
        constructor: InvalidDigestError,
        code: 'invalid_digest',
      });
      await expect(subject.store.exists(digest)).rejects.toBeInstanceOf(InvalidDigestError);
    });

    it('reports a well-formed digest with nothing stored as artifact_not_found', async () => {
      const missing = sha256('never uploaded');
      expect(await subject.store.exists(missing)).toBe(false);
      expect(await subject.store.sizeOf(missing)).toBeNull();
      await expect(subject.store.get(missing)).rejects.toMatchObject({
        constructor: ArtifactNotFoundError,
        code: 'artifact_not_found',
        digest: missing,
      });
    });

    it('keeps named records whole, lists them by prefix in order, and replaces one put again', async () => {
      const { store } = subject;
      expect(await store.listRecords('')).toEqual([]);
      expect(await store.getRecord('checkpoints/runlog.lifecycle/0/1.json')).toBeNull();
      const binary = Buffer.from([0, 255, 10, 13, 0x80]);
      await store.putRecord('checkpoints/runlog.lifecycle/0/0000000000000002.json', Buffer.from('{"b":2}'));
      await store.putRecord('checkpoints/runlog.lifecycle/0/0000000000000001.json', Buffer.from('{"a":1}'));
      await store.putRecord('checkpoints/runlog.metrics/3/0000000000000001.json', binary);
      await store.putRecord('other/x', Buffer.alloc(0));
      expect(await store.listRecords('checkpoints/runlog.lifecycle/')).toEqual([
        'checkpoints/runlog.lifecycle/0/0000000000000001.json',
        'checkpoints/runlog.lifecycle/0/0000000000000002.json',
      ]);
      expect(await store.listRecords('checkpoints/')).toHaveLength(3);
      expect(await store.listRecords('')).toHaveLength(4);
      expect(
        (await store.getRecord('checkpoints/runlog.metrics/3/0000000000000001.json'))?.equals(binary),
      ).toBe(true);
      expect((await store.getRecord('other/x'))?.length).toBe(0);
      await store.putRecord('other/x', Buffer.from('again'));
      expect((await store.getRecord('other/x'))?.toString()).toBe('again');
    });

    it.each(['', '../escape', 'a/../b', '.hidden', 'a//b', 'a/', '/abs', 'a\\b', 'é', 'x'.repeat(513)])(
      'refuses the record key %j before touching storage',
      async (key) => {
        await expect(subject.store.putRecord(key, Buffer.from('x'))).rejects.toBeInstanceOf(RangeError);
        await expect(subject.store.getRecord(key)).rejects.toBeInstanceOf(RangeError);
        expect(await subject.store.listRecords('')).toEqual([]);
      },
    );
  });
}
