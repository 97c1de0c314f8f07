/** The output formats a streamed read may ask for: each is one continuous answer, however it is cut. */
export type StreamFormat = 'CSVWithNames' | 'ArrowStream' | 'Parquet';

/**
 * chDB's streaming query (Session.queryStream, chdb 3.4.0) writes each chunk as a complete answer of its own: a
 * CSVWithNames chunk repeats the header line, an ArrowStream chunk is a whole IPC stream (schema message, record
 * batches, end-of-stream marker). A splicer turns those chunks back into one answer, as a ClickHouse server streams
 * it: the first chunk's header or schema once, every chunk's rows, one end-of-stream marker. (Parquet chunks are
 * whole files, which cannot be spliced so cheaply: chdb-streams.ts spools Parquet to a file instead.)
 */
export interface ChunkSplicer {
  /** The bytes of this chunk that belong in the continuous answer. */
  push(chunk: Uint8Array): Uint8Array;
  /** What closes the answer after the last chunk. */
  end(): Uint8Array;
}

export function spliceChunks(format: Exclude<StreamFormat, 'Parquet'>): ChunkSplicer {
  return format === 'CSVWithNames' ? spliceCsvWithNames() : spliceArrowStreams();
}

const NEWLINE = 0x0a;

function spliceCsvWithNames(): ChunkSplicer {
  let header: Uint8Array | null = null;
  return {
    push(chunk) {
      const lineEnd = chunk.indexOf(NEWLINE);
      if (lineEnd < 0) throw new Error('a CSVWithNames chunk has no header line');
      const line = chunk.subarray(0, lineEnd + 1);
      if (header === null) {
        header = line.slice();
        return chunk;
      }
      if (!sameBytes(line, header))
        throw new Error('a CSVWithNames chunk names other columns than the first');
      return chunk.subarray(lineEnd + 1);
    },
    end: () => new Uint8Array(0),
  };
}

/** Arrow IPC's end-of-stream marker: the continuation token, then a zero metadata length. */
export const ARROW_END_OF_STREAM = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
const CONTINUATION = 0xffffffff;

function spliceArrowStreams(): ChunkSplicer {
  let schema: Uint8Array | null = null;
  return {
    push(chunk) {
      const prefix = chunk.subarray(0, schemaMessageLength(chunk));
      const tail = chunk.subarray(chunk.length - ARROW_END_OF_STREAM.length);
      if (!sameBytes(tail, ARROW_END_OF_STREAM))
        throw new Error('an ArrowStream chunk does not end its stream');
      const batches = chunk.subarray(prefix.length, chunk.length - ARROW_END_OF_STREAM.length);
      if (schema === null) {
        schema = prefix.slice();
        return chunk.subarray(0, chunk.length - ARROW_END_OF_STREAM.length);
      }
      // One query gives one schema; a chunk of another would make the spliced stream unreadable, so it is refused.
      if (!sameBytes(prefix, schema))
        throw new Error('an ArrowStream chunk has another schema than the first');
      return batches;
    },
    end: () => (schema === null ? new Uint8Array(0) : ARROW_END_OF_STREAM),
  };
}

/**
 * The encapsulated schema message at the start of an IPC stream: the continuation token, its metadata length
 * (little-endian, padded to 8 bytes by the writer) and the metadata; a schema message has no body.
 */
function schemaMessageLength(chunk: Uint8Array): number {
  if (chunk.length < 8) throw new Error('an ArrowStream chunk is shorter than a message header');
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (view.getUint32(0, true) !== CONTINUATION)
    throw new Error('an ArrowStream chunk lacks the continuation token');
  const length = 8 + view.getInt32(4, true);
  if (length <= 8 || length > chunk.length - ARROW_END_OF_STREAM.length)
    throw new Error('an ArrowStream chunk has no complete schema message');
  return length;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) return false;
  return true;
}
