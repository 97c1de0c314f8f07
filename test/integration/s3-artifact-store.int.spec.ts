import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { artifactStoreContract } from '../../libs/artifacts/test/artifact-store.contract';
import { ArtifactTooLargeError } from '../../libs/artifacts/src/artifact-store';
import { S3ArtifactStore } from '../../libs/artifacts/src/s3-artifact-store';
import { s3Client, s3Endpoint } from '../support/engines';

/** The artifact contract against a real S3 server (MinIO, started by the integration global setup). */
artifactStoreContract('S3 (MinIO)', async () => {
  const s3 = s3Endpoint();
  const bucket = `runlog-test-${randomUUID().slice(0, 8)}`;
  const store = await S3ArtifactStore.connect({ ...s3, bucket });
  return {
    store,
    storedObjects: () => store.listKeys(),
    cleanup: async () => {
      const client = s3Client(s3);
      const keys: string[] = [];
      for await (const item of client.listObjectsV2(bucket, '', true)) if (item.name) keys.push(item.name);
      if (keys.length > 0) await client.removeObjects(bucket, keys);
      await client.removeBucket(bucket);
    },
  };
});

describe('S3ArtifactStore multipart uploads', () => {
  const MIB = 1024 * 1024;
  let store: S3ArtifactStore;
  let bucket: string;

  beforeAll(async () => {
    bucket = `runlog-test-${randomUUID().slice(0, 8)}`;
    // The smallest part S3 allows, so a few MiB already take the streaming multipart path.
    store = await S3ArtifactStore.connect({ ...s3Endpoint(), bucket, partSizeBytes: 5 * MIB });
  });

  it('streams a file larger than a part and reads back the same digest', async () => {
    const chunk = Buffer.alloc(MIB, 3);
    const expected = createHash('sha256');
    for (let i = 0; i < 12; i++) expected.update(chunk);
    const stored = await store.put(Readable.from(Array.from({ length: 12 }, () => chunk)), {
      maxBytes: 64 * MIB,
    });
    expect(stored).toEqual({ digest: expected.digest('hex'), size: 12 * MIB, deduplicated: false });
    const back = createHash('sha256');
    for await (const part of await store.get(stored.digest)) back.update(part as Buffer);
    expect(back.digest('hex')).toBe(stored.digest);
  });

  it('aborts a multipart upload whose source fails after the first part, leaving nothing', async () => {
    const before = await store.listKeys();
    const failing = Readable.from(
      (async function* () {
        for (let i = 0; i < 7; i++) yield Buffer.alloc(MIB, i);
        throw new Error('connection reset');
      })(),
    );
    await expect(store.put(failing, { maxBytes: 64 * MIB })).rejects.toThrow('connection reset');
    expect(await store.listKeys()).toEqual(before);
  });

  it('aborts a multipart upload that grows past maxBytes, leaving nothing', async () => {
    const before = await store.listKeys();
    const endless = Readable.from(
      (async function* () {
        for (;;) yield Buffer.alloc(MIB, 9);
      })(),
    );
    await expect(store.put(endless, { maxBytes: 8 * MIB })).rejects.toBeInstanceOf(ArtifactTooLargeError);
    expect(await store.listKeys()).toEqual(before);
  });
});
