import { createHash } from 'node:crypto';
import { INPUT_PROFILE_MAX, INPUT_SCHEMA_MAX } from '../../../../libs/events/src/event-schemas';
import type { InputView } from '../../../../libs/store/src';
import { invalid } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';

/** The tag MLflow puts on a dataset input to say what it was used for (training, eval). */
export const CONTEXT_TAG = 'mlflow.data.context';
const MAX_SOURCE = 2048;
/** Length as the event schema counts it (code points, not UTF-16 units). */
const codePoints = (text: string) => Array.from(text).length;

/** A native run input (libs/events runInputSchema) made from an MLflow DatasetInput. */
export interface NativeInput {
  name: string;
  digest: string;
  source: string;
  split: string | null;
  rows: number | null;
  schemaDigest: string | null;
  schema?: string;
  profile?: string;
  tags?: Record<string, string>;
}

function rowsOf(profile: string | undefined): number | null {
  if (!profile) return null;
  try {
    const rows = (JSON.parse(profile) as { num_rows?: unknown }).num_rows;
    return typeof rows === 'number' && Number.isSafeInteger(rows) && rows >= 0 ? rows : null;
  } catch {
    return null;
  }
}

/**
 * log-inputs' datasets as Runlog's run inputs, the lineage records its impact queries follow: name and digest as
 * given, the source as `<source_type>:<source>`, the context tag as the split, the profile's row count, the schema
 * by its sha256 (what lineage compares) and as its text, the profile as sent, and the input's other tags.
 */
export function nativeInputsOf(fields: MlflowFields): NativeInput[] {
  return [...fields.messages('datasets').map(datasetInputOf), ...fields.messages('models').map(modelInputOf)];
}

/** The source a logged model read by a run is recorded under, as MLflow names a logged model. */
const MODEL_SOURCE = 'models:/';
const LOGGED_MODEL_ID = /^m-[0-9a-f]{32}$/;

/**
 * A logged model a run read (a base model it fine-tuned, say) is a run input like a dataset: its id as name and
 * digest and `models:/<id>` as source, so lineage's impact queries follow it as they follow data.
 */
function modelInputOf(input: MlflowFields, index: number): NativeInput {
  const modelId = input.required('model_id');
  if (!LOGGED_MODEL_ID.test(modelId)) {
    throw invalid(`Invalid value '${modelId.slice(0, 100)}' for parameter 'models[${index}].model_id'`);
  }
  return {
    name: modelId,
    digest: modelId,
    source: `${MODEL_SOURCE}${modelId}`,
    split: null,
    rows: null,
    schemaDigest: null,
  };
}

/** A run input that records a logged model, not a dataset. */
export const isModelInput = (input: InputView) =>
  input.source === `${MODEL_SOURCE}${input.digest}` && isModelInputId(input.name, input.digest);
/** The same, where only the name and digest are read (MLflow's dataset summaries). */
export const isModelInputId = (name: string, digest: string) =>
  name === digest && LOGGED_MODEL_ID.test(digest);

function datasetInputOf(input: MlflowFields, index: number): NativeInput {
  const dataset = input.message('dataset');
  if (!dataset) throw invalid(`Missing value for required parameter 'datasets[${index}].dataset'.`);
  const sourceType = dataset.required('source_type');
  const source = `${sourceType}:${dataset.required('source')}`;
  if (source.length > MAX_SOURCE) {
    throw invalid(
      `datasets[${index}].dataset.source is ${source.length} characters; at most ${MAX_SOURCE} are kept`,
    );
  }
  const schema = dataset.string('schema');
  const profile = dataset.string('profile');
  const tags: Record<string, string> = {};
  let context: string | undefined;
  for (const tag of input.messages('tags')) {
    const key = tag.required('key');
    if (key === CONTEXT_TAG) context = tag.string('value');
    else tags[key] = tag.string('value') ?? '';
  }
  return {
    name: dataset.required('name'),
    digest: dataset.required('digest'),
    source,
    split: context ?? null,
    rows: rowsOf(profile),
    schemaDigest: schema ? `sha256:${createHash('sha256').update(schema).digest('hex')}` : null,
    // MLflow takes a schema up to 1 MB and a profile up to 16 MB; Runlog keeps texts up to its limits and, past them,
    // the schema's digest and the profile's row count only, so such a dataset is still accepted as before.
    ...(schema && codePoints(schema) <= INPUT_SCHEMA_MAX ? { schema } : {}),
    ...(profile && codePoints(profile) <= INPUT_PROFILE_MAX ? { profile } : {}),
    ...(Object.keys(tags).length > 0 ? { tags } : {}),
  };
}

/** A run input read back as MLflow's DatasetInput. */
export function datasetInputJson(input: InputView) {
  const source = input.source ?? '';
  const colon = source.indexOf(':');
  // The input's own tags, then the context, as MLflow's fluent log_input sends them.
  const tags = Object.entries(input.tags).map(([key, value]) => ({ key, value }));
  // Inputs logged before the profile was kept have its row count only.
  const profile = input.profile ?? (input.rows === null ? null : JSON.stringify({ num_rows: input.rows }));
  return {
    tags: input.split ? [...tags, { key: CONTEXT_TAG, value: input.split }] : tags,
    dataset: {
      name: input.name,
      digest: input.digest,
      source_type: colon < 0 ? 'unknown' : source.slice(0, colon),
      source: colon < 0 ? source : source.slice(colon + 1),
      ...(input.schema === null ? {} : { schema: input.schema }),
      ...(profile === null ? {} : { profile }),
    },
  };
}
