import { tableFromArrays, tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import fc from 'fast-check';
import { ARROW_END_OF_STREAM, spliceChunks } from './format-splice';

/**
 * chDB's streamed chunks are each a whole answer; spliced, they must read as the one answer a server would send:
 * every row once, in order, one header or schema.
 */
const encoder = new TextEncoder();
const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((part) => Buffer.from(part)));

function splice(format: 'CSVWithNames' | 'ArrowStream', chunks: Uint8Array[]): Buffer {
  const splicer = spliceChunks(format);
  return concat([...chunks.map((chunk) => splicer.push(chunk)), splicer.end()]);
}

/** Rows cut into consecutive chunks at the given sizes (the remainder last). */
function cut<T>(rows: T[], sizes: number[]): T[][] {
  const chunks: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= rows.length) break;
    chunks.push(rows.slice(at, (at += size)));
  }
  if (at < rows.length) chunks.push(rows.slice(at));
  return chunks;
}

const arrowChunk = (steps: number[], values: number[]): Uint8Array =>
  tableToIPC(
    tableFromArrays({ step: BigInt64Array.from(steps.map(BigInt)), value: Float64Array.from(values) }),
    'stream',
  );

const rowsOf = (table: Table) =>
  table.toArray().map((row) => ({ step: Number(row.step), value: row.value as number }));

describe('splicing streamed chunks into one answer', () => {
  const rows = fc.array(fc.record({ step: fc.integer({ min: -1e6, max: 1e6 }), value: fc.double() }), {
    minLength: 1,
    maxLength: 60,
  });
  const sizes = fc.array(fc.integer({ min: 1, max: 20 }), { maxLength: 10 });

  it('CSVWithNames: one header, then every chunk’s lines in order', () => {
    fc.assert(
      fc.property(rows, sizes, (points, cuts) => {
        const header = '"step","value"\n';
        const line = (point: { step: number; value: number }) => `${point.step},${point.value}\n`;
        const chunks = cut(points, cuts).map((part) => encoder.encode(header + part.map(line).join('')));
        expect(splice('CSVWithNames', chunks).toString()).toBe(header + points.map(line).join(''));
      }),
    );
  });

  it('ArrowStream: one schema, every chunk’s batches, one end-of-stream marker', () => {
    fc.assert(
      fc.property(rows, sizes, (points, cuts) => {
        const chunks = cut(points, cuts).map((part) =>
          arrowChunk(
            part.map((point) => point.step),
            part.map((point) => point.value),
          ),
        );
        const spliced = splice('ArrowStream', chunks);
        expect(spliced.subarray(spliced.length - 8)).toEqual(Buffer.from(ARROW_END_OF_STREAM));
        expect(rowsOf(tableFromIPC(spliced))).toEqual(points);
      }),
    );
  });

  it('refuses a chunk of other columns rather than splicing an unreadable answer', () => {
    const csv = spliceChunks('CSVWithNames');
    csv.push(encoder.encode('"step"\n1\n'));
    expect(() => csv.push(encoder.encode('"value"\n2\n'))).toThrow(/other columns/);
    const arrow = spliceChunks('ArrowStream');
    arrow.push(arrowChunk([1], [1]));
    const other = tableToIPC(tableFromArrays({ other: Float64Array.from([1]) }), 'stream');
    expect(() => arrow.push(other)).toThrow(/another schema/);
    expect(() => spliceChunks('ArrowStream').push(Uint8Array.of(1, 2, 3))).toThrow();
    expect(() => spliceChunks('ArrowStream').push(arrowChunk([1], [1]).subarray(0, 40))).toThrow();
  });

  it('ends no stream that never began', () => {
    expect(spliceChunks('ArrowStream').end()).toHaveLength(0);
    expect(spliceChunks('CSVWithNames').end()).toHaveLength(0);
  });
});
