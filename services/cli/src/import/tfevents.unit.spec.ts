import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  CorruptEventFileError,
  EVENT,
  masked,
  readEventFile,
  tfRecords,
  type TfEventRecord,
} from './tfevents';

const dir = mkdtempSync(join(tmpdir(), 'tfevents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fileOf = (bytes: Uint8Array) => {
  const path = join(dir, `events.out.tfevents.${files++}`);
  writeFileSync(path, bytes);
  return path;
};

function frame(record: Uint8Array): Buffer {
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(record.length));
  const crc = (data: Uint8Array) => {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(masked(data));
    return out;
  };
  return Buffer.concat([length, crc(length), record, crc(record)]);
}

const collect = async <T>(items: AsyncIterable<T>) => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

describe('TFRecord framing', () => {
  const records = fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 12 });

  it('gives back every record, whatever their sizes (past the 1 MiB read too)', async () => {
    await fc.assert(
      fc.asyncProperty(records, async (written) => {
        const read = await collect(tfRecords(fileOf(Buffer.concat(written.map(frame)))));
        expect(read.map((record) => Buffer.from(record))).toEqual(
          written.map((record) => Buffer.from(record)),
        );
      }),
      { numRuns: 60 },
    );
    const large = new Uint8Array((1 << 20) + 17).fill(7);
    expect((await collect(tfRecords(fileOf(frame(large)))))[0].length).toBe(large.length);
  });

  it('ends at a torn tail: a file cut anywhere reads as the whole records before the cut', async () => {
    await fc.assert(
      fc.asyncProperty(records, fc.nat(), async (written, at) => {
        const whole = Buffer.concat(written.map(frame));
        const cut = whole.length === 0 ? 0 : at % whole.length;
        const read = await collect(tfRecords(fileOf(whole.subarray(0, cut))));
        let complete = 0;
        for (let size = 0; complete < written.length; complete++) {
          size += 16 + written[complete].length;
          if (size > cut) break;
        }
        expect(read.length).toBe(complete);
      }),
      { numRuns: 60 },
    );
  });

  it('names damage: a changed byte in a length or a record is a checksum error at that record', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (written, at, flip) => {
          const whole = Buffer.concat(written.map(frame));
          const index = at % whole.length;
          whole[index] ^= flip;
          await expect(collect(tfRecords(fileOf(whole)))).rejects.toBeInstanceOf(CorruptEventFileError);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('event records', () => {
  const event = (fields: Record<string, unknown>) => frame(EVENT.encode(EVENT.fromObject(fields)).finish());
  const scalarMeta = { plugin_data: { plugin_name: 'scalars' } };

  it('reads simple values and scalar tensors of every number type, as stored', async () => {
    const f64 = Buffer.alloc(8);
    f64.writeDoubleLE(0.1);
    const i64 = Buffer.alloc(8);
    i64.writeBigInt64LE(-(2n ** 53n) + 1n);
    const read: TfEventRecord[] = await collect(
      readEventFile(
        fileOf(
          Buffer.concat([
            event({ wall_time: 10, file_version: 'brain.Event:2' }),
            event({ wall_time: 11, step: 2 ** 40, summary: { value: [{ tag: 'a', simple_value: 0 }] } }),
            event({
              wall_time: 12,
              step: 3,
              summary: {
                value: [{ tag: 'b', metadata: scalarMeta, tensor: { dtype: 2, tensor_content: f64 } }],
              },
            }),
            // The plugin is named on a tag's first value only.
            event({ step: 4, summary: { value: [{ tag: 'b', tensor: { dtype: 9, tensor_content: i64 } }] } }),
            event({
              step: 5,
              summary: { value: [{ tag: 'c', tensor: { dtype: 1, float_val: [Infinity] } }] },
            }),
            // A tensor of several numbers is not a scalar.
            event({ step: 6, summary: { value: [{ tag: 'd', tensor: { dtype: 1, float_val: [1, 2] } }] } }),
            event({ step: 7, summary: { value: [{ tag: 'e', histo: Buffer.from([1]) }] } }),
          ]),
        ),
      ),
    );
    expect(read).toEqual([
      { kind: 'start', wallTime: 10_000 },
      { kind: 'scalar', tag: 'a', step: 2 ** 40, wallTime: 11_000, value: 0 },
      { kind: 'scalar', tag: 'b', step: 3, wallTime: 12_000, value: 0.1 },
      { kind: 'scalar', tag: 'b', step: 4, wallTime: 0, value: -(2 ** 53) + 1 },
      { kind: 'scalar', tag: 'c', step: 5, wallTime: 0, value: Infinity },
      { kind: 'skipped', plugin: 'tensor' },
      { kind: 'skipped', plugin: 'histogram' },
    ]);
  });
});
