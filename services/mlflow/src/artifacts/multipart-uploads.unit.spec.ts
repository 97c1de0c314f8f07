import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { MlflowError } from '../protocol/mlflow-error';
import { MAX_PARTS, MultipartUploads } from './multipart-uploads';

const TARGET = { experimentId: '1', runId: 'run-1', rawPath: 'model.bin' };
const body = (content: string) => Readable.from([Buffer.from(content)]);

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<MlflowError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    expect(error).toBeInstanceOf(MlflowError);
    return error as MlflowError;
  }
  throw new Error('expected a refusal');
}

describe('MLflow multipart uploads, staged', () => {
  let uploads: MultipartUploads;
  beforeEach(() => {
    uploads = new MultipartUploads(1024);
  });
  afterEach(() => uploads.onModuleDestroy());

  it('opens an upload for 1 to MAX_PARTS parts and refuses any other count', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: -5, max: 0 }),
          fc.integer({ min: MAX_PARTS + 1, max: MAX_PARTS + 5 }),
          fc.double({ noInteger: true }),
        ),
        async (parts) => {
          expect((await refusal(uploads.create(TARGET, parts))).code).toBe('INVALID_PARAMETER_VALUE');
        },
      ),
      { numRuns: 50 },
    );
    for (const parts of [1, MAX_PARTS]) {
      const id = await uploads.create(TARGET, parts);
      expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
      await uploads.finish(id);
    }
  });

  it('assembles the parts in part order, whatever order they came in, once every ETag matches', async () => {
    const id = await uploads.create(TARGET, 3);
    const etags: Record<number, string> = {};
    for (const part of [3, 1, 2]) etags[part] = await uploads.writePart(id, part, body(`<${part}>`));
    expect(etags[1]).toMatch(/^"[0-9a-f]{64}"$/);
    const listed = [1, 2, 3].map((part) => ({ part, etag: etags[part] }));
    const wrong = await refusal(() =>
      uploads.assemble(id, [listed[0], listed[1], { part: 3, etag: etags[1] }]),
    );
    expect(wrong.message).toMatch(/ETag of part 3/);
    expect((await refusal(() => uploads.assemble(id, listed.slice(0, 2)))).message).toMatch(/1 to 3/);
    const { body: whole, length } = uploads.assemble(id, listed);
    expect(await text(whole)).toBe('<1><2><3>');
    expect(length).toBe(9);
  });

  it('refuses part numbers outside the upload, and an unknown upload', async () => {
    const id = await uploads.create(TARGET, 2);
    for (const part of [0, 3, NaN, 1.5]) {
      expect((await refusal(uploads.writePart(id, part, body('x')))).code).toBe('INVALID_PARAMETER_VALUE');
    }
    expect((await refusal(uploads.writePart('nope', 1, body('x')))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('holds no more than an artifact may in one upload; a part sent again replaces the earlier one', async () => {
    uploads = new MultipartUploads(10);
    const id = await uploads.create(TARGET, 2);
    await uploads.writePart(id, 1, body('123456'));
    expect((await refusal(uploads.writePart(id, 2, body('12345')))).message).toMatch(/10 bytes/);
    // The refused part freed what it had staged: a smaller one fits, and so does part 1 sent again.
    const second = await uploads.writePart(id, 2, body('1234'));
    const first = await uploads.writePart(id, 1, body('abcdef'));
    const { body: whole } = uploads.assemble(id, [
      { part: 1, etag: first },
      { part: 2, etag: second },
    ]);
    expect(await text(whole)).toBe('abcdef1234');
  });

  it('deletes the parts when finished, and the upload is gone', async () => {
    const id = await uploads.create(TARGET, 1);
    await uploads.writePart(id, 1, body('x'));
    const dirs = (uploads as unknown as { uploads: Map<string, { dir: string }> }).uploads;
    const dir = dirs.get(id)!.dir;
    expect(existsSync(dir)).toBe(true);
    await uploads.finish(id);
    expect(existsSync(dir)).toBe(false);
    expect((await refusal(uploads.finish(id))).code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('removes what a refused part wrote, and counts nothing of it', async () => {
    uploads = new MultipartUploads(10);
    const id = await uploads.create(TARGET, 2);
    const dir = (uploads as unknown as { uploads: Map<string, { dir: string }> }).uploads.get(id)!.dir;
    await refusal(uploads.writePart(id, 1, body('x'.repeat(11))));
    expect(existsSync(`${dir}/1`)).toBe(false);
    // All ten bytes are free again, for this upload and for the others.
    const other = await uploads.create(TARGET, 1);
    await uploads.writePart(other, 1, body('y'.repeat(10)));
    await uploads.writePart(id, 1, body('z'.repeat(10)));
  });

  it('takes no part while it is being completed, nor finishes while a part is written; a failed completion reopens', async () => {
    const id = await uploads.create(TARGET, 1);
    const etag = await uploads.writePart(id, 1, body('a'));
    const { body: whole } = uploads.assemble(id, [{ part: 1, etag }]);
    expect((await refusal(uploads.writePart(id, 1, body('b')))).code).toBe('RESOURCE_CONFLICT');
    whole.destroy();
    uploads.unseal(id);
    // A part whose body has not ended yet.
    const slow = new Readable({ read() {} });
    const writing = uploads.writePart(id, 1, slow);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await refusal(uploads.finish(id))).code).toBe('RESOURCE_CONFLICT');
    slow.push(null);
    await writing;
    await uploads.finish(id);
  });
});
