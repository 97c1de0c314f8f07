import { invalid } from '../protocol/mlflow-error';
import type { MlflowFields } from '../protocol/mlflow-fields';

/** MLflow's limits on one log-batch (utils/validation.py), with its messages. */
export const MAX_BATCH_METRICS = 1000;
export const MAX_BATCH_PARAMS = 100;
export const MAX_BATCH_TAGS = 100;
export const MAX_BATCH_ENTITIES = 1000;
export const MAX_KEY_LENGTH = 250;
export const MAX_PARAM_VALUE_LENGTH = 6000;
export const MAX_TAG_VALUE_LENGTH = 8000;

export interface LoggedMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** A logged model's metric: it goes to the model (a run of its own here), not to the run logging it. */
  modelId?: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

/** MLflow's key rule: alphanumerics, _ - . space / :, path-normal (no empty, `.` or `..` segment, no leading /). */
export function checkKey(kind: string, key: string): string {
  const segments = key.split('/');
  if (
    !/^[/\w.\- :]+$/.test(key) ||
    key.length > MAX_KEY_LENGTH ||
    key.startsWith('/') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    throw invalid(
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/), at most ${MAX_KEY_LENGTH} characters, and must be a normalized path.`,
    );
  }
  return key;
}

export function metricOf(fields: MlflowFields): LoggedMetric {
  const key = checkKey('metric', fields.required('key'));
  const value = fields.double('value');
  if (value === undefined) throw invalid(`Missing value for required parameter 'value'.`);
  const timestamp = fields.requiredInt64('timestamp');
  if (timestamp < 0)
    throw invalid(`Invalid value ${timestamp} for parameter 'timestamp': it must be at least 0.`);
  const modelId = fields.string('model_id');
  return { key, value, timestamp, step: fields.int64('step') ?? 0, ...(modelId ? { modelId } : {}) };
}

/** A key and a string value up to MLflow's length for that kind (its messages name it Param or Tag). */
function keyValueOf(fields: MlflowFields, kind: 'parameter' | 'tag', maxLength: number): KeyValue {
  const key = checkKey(kind, fields.required('key'));
  const value = fields.string('value') ?? '';
  if (value.length > maxLength) {
    const noun = kind === 'parameter' ? 'Param' : 'Tag';
    throw invalid(
      `${noun} value '${value.slice(0, 100)}...' had length ${value.length}, which exceeded length limit of ${maxLength}`,
    );
  }
  return { key, value };
}

export const paramOf = (fields: MlflowFields) => keyValueOf(fields, 'parameter', MAX_PARAM_VALUE_LENGTH);

/** Tags under `runlog.` are the dialect's own marks (a logged model's): a client cannot set, fake or drop them. */
export function checkUserTagKey(key: string): string {
  checkKey('tag', key);
  if (key.startsWith('runlog.'))
    throw invalid(`Invalid tag name: '${key}'. Tags under "runlog." are Runlog's own.`);
  return key;
}

export function tagOf(fields: MlflowFields): KeyValue {
  const tag = keyValueOf(fields, 'tag', MAX_TAG_VALUE_LENGTH);
  checkUserTagKey(tag.key);
  return tag;
}

/** A log-batch's entities, checked against MLflow's limits; duplicate param keys must agree. */
export function batchOf(fields: MlflowFields): {
  metrics: LoggedMetric[];
  params: KeyValue[];
  tags: KeyValue[];
} {
  const [metricFields, paramFields, tagFields] = ['metrics', 'params', 'tags'].map((name) =>
    fields.messages(name),
  );
  const total = metricFields.length + paramFields.length + tagFields.length;
  const over = (what: string, count: number, limit: number) =>
    invalid(
      `A batch logging request can contain at most ${limit} ${what}. Got ${count} ${what}. Please split up ${what} across multiple requests and try again.`,
    );
  if (metricFields.length > MAX_BATCH_METRICS) throw over('metrics', metricFields.length, MAX_BATCH_METRICS);
  if (paramFields.length > MAX_BATCH_PARAMS) throw over('params', paramFields.length, MAX_BATCH_PARAMS);
  if (tagFields.length > MAX_BATCH_TAGS) throw over('tags', tagFields.length, MAX_BATCH_TAGS);
  if (total > MAX_BATCH_ENTITIES) {
    throw invalid(
      `A batch logging request can contain at most ${MAX_BATCH_ENTITIES} metrics, params, and tags in total. Got ${total} in total.`,
    );
  }
  const params = new Map<string, KeyValue>();
  for (const param of paramFields.map(paramOf)) {
    const earlier = params.get(param.key);
    if (earlier && earlier.value !== param.value) {
      throw invalid(
        `Duplicate parameter keys have been submitted: ['${param.key}']. Please ensure the request contains only one param value per param key.`,
      );
    }
    params.set(param.key, param);
  }
  return { metrics: metricFields.map(metricOf), params: [...params.values()], tags: tagFields.map(tagOf) };
}

/** Metric points grouped by key, columnar, as the native metrics route takes them. */
export function columnar(metrics: readonly LoggedMetric[]) {
  const byKey = new Map<
    string,
    { key: string; steps: number[]; values: (number | string)[]; timestamps: number[] }
  >();
  for (const { key, value, timestamp, step } of metrics) {
    let series = byKey.get(key);
    if (!series) byKey.set(key, (series = { key, steps: [], values: [], timestamps: [] }));
    series.steps.push(step);
    // Non-finite values as the strings the native API takes: NaN, Infinity, -Infinity.
    series.values.push(Number.isFinite(value) ? value : String(value));
    series.timestamps.push(timestamp);
  }
  return [...byKey.values()];
}
