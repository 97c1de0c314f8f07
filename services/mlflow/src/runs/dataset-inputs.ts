import { createHash } from 'node:crypto';
import type { InputView } from '../../../../libs/store/src';
import { invalid, MlflowError } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';

/** The tag MLflow puts on a dataset input to say what it was used for (training, eval). */
export const CONTEXT_TAG = 'mlflow.data.context';
const MAX_SOURCE = 2048;

/** A native run input (libs/events runInputSchema) made from an MLflow DatasetInput. */
export interface NativeInput {
  name: string;
  digest: string;
  source: string;
  split: string | null;
  rows: number | null;
  schemaDigest: string | null;
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
 * given, the source as `<source_type>:<source>`, the context tag as the split, the profile's row count, and the
 * schema by its sha256 (the schema text itself is not kept: Runlog records which data a run read, not its shape).
 */
export function nativeInputsOf(fields: MlflowFields): NativeInput[] {
  if (fields.messages('models').length > 0) {
    throw new MlflowError('NOT_IMPLEMENTED', 'logged models as run inputs are not stored by Runlog yet');
  }
  return fields.messages('datasets').map((input, index) => {
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
    const context = input
      .messages('tags')
      .find((tag) => tag.string('key') === CONTEXT_TAG)
      ?.string('value');
    return {
      name: dataset.required('name'),
      digest: dataset.required('digest'),
      source,
      split: context ?? null,
      rows: rowsOf(dataset.string('profile')),
      schemaDigest: schema ? `sha256:${createHash('sha256').update(schema).digest('hex')}` : null,
    };
  });
}

/** A run input read back as MLflow's DatasetInput. */
export function datasetInputJson(input: InputView) {
  const source = input.source ?? '';
  const colon = source.indexOf(':');
  return {
    tags: input.split ? [{ key: CONTEXT_TAG, value: input.split }] : [],
    dataset: {
      name: input.name,
      digest: input.digest,
      source_type: colon < 0 ? 'unknown' : source.slice(0, colon),
      source: colon < 0 ? source : source.slice(colon + 1),
      ...(input.rows === null ? {} : { profile: JSON.stringify({ num_rows: input.rows }) }),
    },
  };
}
