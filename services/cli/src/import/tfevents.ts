import { open } from 'node:fs/promises';
import { buf as crc32c } from 'crc-32/crc32c';
import { parse, type Type } from 'protobufjs';

/**
 * TensorBoard's event files: TFRecord framing (a little-endian u64 length, its masked CRC-32C, the record, the
 * record's masked CRC-32C) around `tensorflow.Event` messages. The messages below are the fields of TensorFlow's
 * event.proto, summary.proto and tensor.proto, and of TensorBoard's hparams plugin_data.proto, that an import reads;
 * field numbers are theirs, so the rest of each message is skipped on decode.
 */
const PROTO = `
syntax = "proto3";
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}
message Summary { repeated SummaryValue value = 1; }
message SummaryValue {
  string tag = 1;
  SummaryMetadata metadata = 9;
  oneof value {
    float simple_value = 2;
    bytes obsolete_old_style_histogram = 3;
    bytes image = 4;
    bytes histo = 5;
    bytes audio = 6;
    TensorProto tensor = 8;
  }
}
message SummaryMetadata { PluginData plugin_data = 1; }
message PluginData { string plugin_name = 1; bytes content = 2; }
message TensorProto {
  int32 dtype = 1;
  TensorShape tensor_shape = 2;
  bytes tensor_content = 4;
  repeated float float_val = 5;
  repeated double double_val = 6;
  repeated int32 int_val = 7;
  repeated int64 int64_val = 10;
  repeated bool bool_val = 11;
  repeated int32 half_val = 13;
}
message TensorShape { repeated Dim dim = 2; }
message Dim { int64 size = 1; }
message HParamsPluginData {
  int32 version = 1;
  SessionStartInfo session_start_info = 3;
  SessionEndInfo session_end_info = 4;
}
message SessionStartInfo {
  map<string, ProtoValue> hparams = 1;
  string group_name = 4;
  double start_time_secs = 5;
}
message ProtoValue {
  int32 null_value = 1;
  double number_value = 2;
  string string_value = 3;
  bool bool_value = 4;
}
message SessionEndInfo { int32 status = 1; double end_time_secs = 2; }
`;
const root = parse(PROTO, { keepCase: true }).root;
/** `tensorflow.Event`, as far as an import reads it (exported for the specs that write event files). */
export const EVENT = root.lookupType('Event');
const HPARAMS = root.lookupType('HParamsPluginData');
const DECODE = { longs: Number, defaults: false, arrays: true, oneofs: false } as const;

/** One thing an event file says about its run, in file order. */
export type TfEventRecord =
  | { kind: 'scalar'; tag: string; step: number; wallTime: number; value: number }
  | { kind: 'hparams'; params: Record<string, string>; startTime?: number }
  | { kind: 'end'; status: 'success' | 'failure' | 'running' | 'unknown'; endTime?: number }
  | { kind: 'skipped'; plugin: string }
  | { kind: 'start'; wallTime: number };

export class CorruptEventFileError extends Error {}

interface DecodedValue {
  tag?: string;
  simple_value?: number;
  tensor?: DecodedTensor;
  metadata?: { plugin_data?: { plugin_name?: string; content?: Uint8Array } };
  obsolete_old_style_histogram?: Uint8Array;
  image?: Uint8Array;
  histo?: Uint8Array;
  audio?: Uint8Array;
}
interface DecodedTensor {
  dtype?: number;
  tensor_shape?: { dim?: { size?: number }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
  int_val?: number[];
  int64_val?: number[];
}

const MASK_DELTA = 0xa282ead8;
/** TFRecord's masked CRC-32C of a length or a record. */
export const masked = (data: Uint8Array) => {
  const crc = crc32c(data) >>> 0;
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
};
const CHUNK = 1 << 20;

/** The records of one TFRecord file, read in 1 MiB chunks; a torn tail (a writer still running) ends the file. */
export async function* tfRecords(path: string): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    let buffer = Buffer.alloc(0);
    let offset = 0;
    let eof = false;
    const need = async (bytes: number) => {
      while (buffer.length < bytes && !eof) {
        const chunk = Buffer.alloc(Math.max(CHUNK, bytes - buffer.length));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) eof = true;
        buffer = Buffer.concat([buffer, chunk.subarray(0, bytesRead)]);
      }
      return buffer.length >= bytes;
    };
    for (;;) {
      if (!(await need(12))) return;
      const header = buffer.subarray(0, 8);
      if (buffer.readUInt32LE(8) !== masked(header))
        throw new CorruptEventFileError(`${path}: bad length checksum at byte ${offset}`);
      const length = Number(header.readBigUInt64LE(0));
      // A length past the file's end is a torn tail (or a lie): nothing is allocated for it.
      if (offset + 16 + length > size) return;
      if (!(await need(12 + length + 4))) return;
      const data = buffer.subarray(12, 12 + length);
      if (buffer.readUInt32LE(12 + length) !== masked(data))
        throw new CorruptEventFileError(`${path}: bad record checksum at byte ${offset}`);
      yield data;
      offset += 16 + length;
      buffer = buffer.subarray(16 + length);
    }
  } finally {
    await file.close();
  }
}

/** A tensor holding one number (the scalars plugin's, tf.summary v2's): its value, or undefined. */
function scalarOf(tensor: DecodedTensor): number | undefined {
  const size = (tensor.tensor_shape?.dim ?? []).reduce((product, dim) => product * (dim.size ?? 0), 1);
  if (size !== 1) return undefined;
  const content = tensor.tensor_content;
  if (content && content.length > 0) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    if (tensor.dtype === 1 && content.length === 4) return view.getFloat32(0, true);
    if (tensor.dtype === 2 && content.length === 8) return view.getFloat64(0, true);
    if (tensor.dtype === 3 && content.length === 4) return view.getInt32(0, true);
    if (tensor.dtype === 9 && content.length === 8) return Number(view.getBigInt64(0, true));
    return undefined;
  }
  const values = [tensor.float_val, tensor.double_val, tensor.int_val, tensor.int64_val].find(
    (found) => found?.length,
  );
  return values?.length === 1 ? values[0] : undefined;
}

function hparamsRecord(content: Uint8Array): TfEventRecord | undefined {
  const data = (HPARAMS as Type).toObject(HPARAMS.decode(content), DECODE) as {
    session_start_info?: { hparams?: Record<string, Record<string, unknown>>; start_time_secs?: number };
    session_end_info?: { status?: number; end_time_secs?: number };
  };
  if (data.session_start_info) {
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(data.session_start_info.hparams ?? {})) {
      const found = value.string_value ?? value.number_value ?? value.bool_value;
      if (found !== undefined) params[key] = String(found);
    }
    const start = data.session_start_info.start_time_secs;
    return { kind: 'hparams', params, ...(start ? { startTime: start * 1000 } : {}) };
  }
  if (data.session_end_info) {
    const status = (['unknown', 'success', 'failure', 'running'] as const)[data.session_end_info.status ?? 0];
    const end = data.session_end_info.end_time_secs;
    return { kind: 'end', status: status ?? 'unknown', ...(end ? { endTime: end * 1000 } : {}) };
  }
  return undefined;
}

/**
 * What one event file says, record by record. A tag's plugin is named only on its first value in a file, so the
 * file's tags are remembered: a tensor is a scalar when its tag's plugin is `scalars` (or unnamed, with one number).
 */
export async function* readEventFile(path: string): AsyncGenerator<TfEventRecord> {
  const plugins = new Map<string, string>();
  for await (const record of tfRecords(path)) {
    const event = EVENT.toObject(EVENT.decode(record), DECODE) as {
      wall_time?: number;
      step?: number;
      file_version?: string;
      summary?: { value?: DecodedValue[] };
    };
    const wallTime = (event.wall_time ?? 0) * 1000;
    if (event.file_version !== undefined) yield { kind: 'start', wallTime };
    for (const value of event.summary?.value ?? []) {
      const tag = value.tag ?? '';
      const named = value.metadata?.plugin_data?.plugin_name;
      if (named) plugins.set(tag, named);
      const plugin = plugins.get(tag) ?? '';
      if (plugin === 'hparams') {
        const found = hparamsRecord(value.metadata?.plugin_data?.content ?? new Uint8Array());
        if (found) yield found;
        continue;
      }
      const scalar =
        value.simple_value ??
        (value.tensor && (plugin === 'scalars' || plugin === '') ? scalarOf(value.tensor) : undefined);
      if (scalar !== undefined) yield { kind: 'scalar', tag, step: event.step ?? 0, wallTime, value: scalar };
      else yield { kind: 'skipped', plugin: plugin || kindOfLegacy(value) };
    }
  }
}

function kindOfLegacy(value: DecodedValue): string {
  if (value.image) return 'image';
  if (value.histo || value.obsolete_old_style_histogram) return 'histogram';
  if (value.audio) return 'audio';
  return 'tensor';
}
