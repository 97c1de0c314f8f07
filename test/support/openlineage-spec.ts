/**
 * What the OpenLineage 2-0-2 JSON schema (https://openlineage.io/spec/2-0-2/OpenLineage.json) requires of a
 * RunEvent, written out from the spec (no network in tests): BaseEvent's eventTime (date-time), producer and
 * schemaURL (URIs); RunEvent's run (runId, a UUID) and job (namespace, name); eventType from its enum; datasets'
 * namespace and name; every facet a BaseFacet (_producer and _schemaURL, URIs). The standard facets used are
 * checked against their own schemas: ParentRunFacet 1-2-0 (run.runId, job.namespace, job.name),
 * SourceCodeLocationJobFacet 1-1-0 (type, url), DatasetVersionDatasetFacet 1-0-1 (datasetVersion) and
 * JobTypeJobFacet 2-0-4 (processingType, integration). Answers every violation found, none for a valid event.
 */

const EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// RFC 3339 date-time, as JSON Schema's `format: date-time` means it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isUri(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** The fields each standard facet's schema requires beyond BaseFacet's, by the key it is attached under. */
const STANDARD_FACETS: Record<string, (facet: Json, at: string) => string[]> = {
  parent: (facet, at) => {
    const problems: string[] = [];
    const run = facet.run;
    const job = facet.job;
    if (!isObject(run) || typeof run.runId !== 'string' || !UUID.test(run.runId))
      problems.push(`${at}.run.runId must be a UUID`);
    if (!isObject(job) || typeof job.namespace !== 'string' || typeof job.name !== 'string')
      problems.push(`${at}.job needs namespace and name`);
    return problems;
  },
  sourceCodeLocation: (facet, at) => [
    ...(typeof facet.type === 'string' ? [] : [`${at}.type is required`]),
    ...(isUri(facet.url) ? [] : [`${at}.url must be a URI`]),
  ],
  version: (facet, at) =>
    typeof facet.datasetVersion === 'string' ? [] : [`${at}.datasetVersion is required`],
  jobType: (facet, at) =>
    typeof facet.processingType === 'string' && typeof facet.integration === 'string'
      ? []
      : [`${at} needs processingType and integration`],
};

function facetProblems(facets: unknown, at: string, allowDeleted: boolean): string[] {
  if (facets === undefined) return [];
  if (!isObject(facets)) return [`${at} must be an object`];
  const problems: string[] = [];
  for (const [key, facet] of Object.entries(facets)) {
    const where = `${at}.${key}`;
    if (!isObject(facet)) {
      problems.push(`${where} must be an object`);
      continue;
    }
    if (!isUri(facet._producer)) problems.push(`${where}._producer must be a URI`);
    if (!isUri(facet._schemaURL)) problems.push(`${where}._schemaURL must be a URI`);
    if (facet._deleted !== undefined && (!allowDeleted || typeof facet._deleted !== 'boolean'))
      problems.push(`${where}._deleted is not allowed here`);
    if (key in STANDARD_FACETS) problems.push(...STANDARD_FACETS[key](facet, where));
    else if (!/^[a-z][A-Za-z0-9]*_[a-z][A-Za-z0-9]*$/.test(key))
      problems.push(`${where}: a custom facet's key is {prefix}_{name}, both camelCase`);
  }
  return problems;
}

function datasetProblems(datasets: unknown, at: string, ownFacets: string): string[] {
  if (datasets === undefined) return [];
  if (!Array.isArray(datasets)) return [`${at} must be an array`];
  return datasets.flatMap((dataset: unknown, index) => {
    const where = `${at}[${index}]`;
    if (!isObject(dataset)) return [`${where} must be an object`];
    return [
      ...(typeof dataset.namespace === 'string' ? [] : [`${where}.namespace is required`]),
      ...(typeof dataset.name === 'string' ? [] : [`${where}.name is required`]),
      ...facetProblems(dataset.facets, `${where}.facets`, true),
      ...facetProblems(dataset[ownFacets], `${where}.${ownFacets}`, false),
    ];
  });
}

export function openLineageRunEventProblems(event: unknown): string[] {
  if (!isObject(event)) return ['the event must be an object'];
  const problems: string[] = [];
  if (typeof event.eventTime !== 'string' || !DATE_TIME.test(event.eventTime))
    problems.push('eventTime must be a date-time');
  if (!isUri(event.producer)) problems.push('producer must be a URI');
  if (!isUri(event.schemaURL)) problems.push('schemaURL must be a URI');
  if (event.eventType !== undefined && !EVENT_TYPES.includes(event.eventType as string))
    problems.push(`eventType must be one of ${EVENT_TYPES.join(', ')}`);
  const { run, job } = event;
  if (!isObject(run)) problems.push('run is required');
  else {
    if (typeof run.runId !== 'string' || !UUID.test(run.runId)) problems.push('run.runId must be a UUID');
    problems.push(...facetProblems(run.facets, 'run.facets', false));
  }
  if (!isObject(job)) problems.push('job is required');
  else {
    if (typeof job.namespace !== 'string') problems.push('job.namespace is required');
    if (typeof job.name !== 'string') problems.push('job.name is required');
    problems.push(...facetProblems(job.facets, 'job.facets', true));
  }
  problems.push(...datasetProblems(event.inputs, 'inputs', 'inputFacets'));
  problems.push(...datasetProblems(event.outputs, 'outputs', 'outputFacets'));
  return problems;
}
