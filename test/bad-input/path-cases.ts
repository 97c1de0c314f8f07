import type { BadInputCase } from './bad-input-case';
import { bodyWith, caseMaker, validRequest } from './case-building';
import type { DocumentedOperation } from './operations';
import {
  ARCHIVED_EXPERIMENT,
  ARTIFACT_RUN,
  BASE_EXPERIMENT,
  DELETED_RUN,
  ENDED_RUN,
  IDEMPOTENCY_RUN,
  OTHER_RUN,
  UNKNOWN_ID,
  UNKNOWN_MODEL,
  UNKNOWN_TOKEN_ID,
  USED_EVENT_ID,
  USED_REQUEST,
  validBody,
} from './targets';

/** Ids in a URL that the id pattern refuses, as sent (percent-encoded where a URL needs it). */
const INVALID_PATH_IDS = [
  '..',
  '%2e%2e',
  'a%2Fb',
  "a'--",
  '-leading-dash',
  'x'.repeat(65),
  '%3Cscript%3E',
  'a%00b',
];

/** Artifact paths from MLflow's traversal advisories, as they appear in an upload or download URL. */
const URL_ARTIFACT_PATHS = [
  '../secret.txt',
  '../../../../etc/passwd',
  'a/../../b',
  '%2e%2e/secret.txt',
  '%252e%252e/secret.txt',
  '..%2fsecret.txt',
  '/etc/passwd',
  'C:/Windows/win.ini',
  '..%5csecret.txt',
  'a%5c..%5cb',
  'a%00b.txt',
  'a/./b.txt',
  'a//b.txt',
  `${'x'.repeat(256)}/b.txt`,
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data',
];

/** The same, as a JSON string in an artifact record's `path`. */
const BODY_ARTIFACT_PATHS = [
  '../secret.txt',
  '/etc/passwd',
  'C:\\Windows\\win.ini',
  'a\\..\\b',
  'a\u0000b',
  '%2e%2e/secret.txt',
  'a/./b',
  'file:///etc/passwd',
  '//proc/self/environ',
  'ab\ud800',
];

/** What an ended run refuses: everything but annotations (tags, note, name, delete/restore). */
const REFUSED_WHEN_ENDED =
  /\/(start|inputs|heartbeat|params|metrics|finish|fail|kill|artifact-records|artifacts\/\{path\})$/;

/** The ids of the path: refused when malformed, 404 when unknown or when they name an object of another kind. */
export function pathCases(operation: DocumentedOperation): BadInputCase[] {
  const make = caseMaker(operation);
  const cases: BadInputCase[] = [];
  const upload = operation.method === 'PUT';
  const withRun = (runId: string) =>
    upload
      ? {
          ...validRequest(operation, { pathValues: { runId } }),
          headers: { 'content-type': 'text/plain' },
          body: 'x',
        }
      : validRequest(operation, { pathValues: { runId } });
  for (const idName of operation.pathParams.filter((name) => name === 'runId' || name === 'experimentId')) {
    const request = (id: string) =>
      idName === 'runId' ? withRun(id) : validRequest(operation, { pathValues: { [idName]: id } });
    for (const id of INVALID_PATH_IDS)
      cases.push(make('pathIdInvalid', `${idName} ${JSON.stringify(id.slice(0, 20))}`, request(id), idName));
    cases.push(make('objectUnknown', `${idName} of no object`, request(UNKNOWN_ID), idName));
    const otherKind = idName === 'runId' ? BASE_EXPERIMENT : OTHER_RUN;
    cases.push(
      make('objectUnknown', `${idName} naming an object of another kind`, request(otherKind), idName),
    );
  }
  if (operation.pathParams.includes('tokenId')) {
    const request = (tokenId: string) => validRequest(operation, { pathValues: { tokenId } });
    for (const id of [
      ...INVALID_PATH_IDS,
      'rl_0123456789abcdef_secret',
      '0123456789ABCDEF',
      '0123456789abcde',
    ])
      cases.push(make('pathIdInvalid', `tokenId ${JSON.stringify(id.slice(0, 20))}`, request(id), 'tokenId'));
    cases.push(make('objectUnknown', 'tokenId of no token', request(UNKNOWN_TOKEN_ID), 'tokenId'));
  }
  if (operation.pathParams.includes('runId') && operation.method !== 'GET') {
    if (REFUSED_WHEN_ENDED.test(operation.template))
      cases.push(make('runEnded', 'on an ended run', withRun(ENDED_RUN)));
    if (!/\/restore$/.test(operation.template) && operation.method !== 'DELETE')
      cases.push(make('runDeleted', 'on a deleted run', withRun(DELETED_RUN)));
  }
  if (operation.pathParams.includes('path')) {
    for (const path of URL_ARTIFACT_PATHS) {
      const request = upload
        ? {
            ...validRequest(operation, { pathValues: { path } }),
            headers: { 'content-type': 'text/plain' },
            body: 'x',
          }
        : validRequest(operation, { pathValues: { runId: ARTIFACT_RUN, path } });
      cases.push(make('artifactPathRefused', `path ${JSON.stringify(path.slice(0, 40))}`, request));
    }
    if (operation.method === 'GET')
      cases.push(
        make(
          'objectUnknown',
          'a path with no artifact',
          validRequest(operation, { pathValues: { path: 'no/such/file.txt' } }),
          'path',
        ),
      );
  }
  cases.push(...registryPathCases(operation));
  if (operation.schemaName === 'RegisterArtifact') {
    for (const path of BODY_ARTIFACT_PATHS) {
      cases.push(
        make(
          'artifactPathRefused',
          `record path ${JSON.stringify(path)}`,
          validRequest(operation, { text: bodyWith('RegisterArtifact', ['path'], path) }),
        ),
      );
    }
  }
  return cases;
}

/** Path parameters of the registry's routes, refused when malformed (400) or unknown (404), each naming itself. */
const INVALID_REGISTRY_PARAMS: Record<string, string[]> = {
  name: ['%20padded', 'a%2Fb', '..', '.', 'a%00b', 'a%09b', 'x'.repeat(257)],
  version: ['0', '01', 'abc', '-1', '1.5', '99999999999'],
  alias: ['latest', 'v1', '1x', 'a%20b', 'x'.repeat(65)],
  approvalId: ['not-a-uuid', '0123', 'g'.repeat(36)],
};
const UNKNOWN_REGISTRY_PARAMS: Record<string, string> = {
  name: UNKNOWN_MODEL,
  version: '99',
  approvalId: '00000000-0000-4000-8000-000000000000',
};

function registryPathCases(operation: DocumentedOperation): BadInputCase[] {
  if (!operation.template.startsWith('/api/v1/models')) return [];
  const make = caseMaker(operation);
  const cases: BadInputCase[] = [];
  for (const name of operation.pathParams) {
    const request = (value: string) => validRequest(operation, { pathValues: { [name]: value } });
    for (const value of INVALID_REGISTRY_PARAMS[name] ?? []) {
      // `..` and `.` are resolved away by URL parsers: the request reaches another route, or none.
      if (value === '..' || value === '.') continue;
      cases.push(
        make('pathIdInvalid', `${name} ${JSON.stringify(value.slice(0, 20))}`, request(value), name),
      );
    }
    const unknown = UNKNOWN_REGISTRY_PARAMS[name];
    if (unknown) cases.push(make('objectUnknown', `${name} of nothing`, request(unknown), name));
  }
  if (operation.schemaName === 'RegisterModelVersion') {
    const body = (field: string, value: string) =>
      validRequest(operation, { text: bodyWith('RegisterModelVersion', [field], value) });
    cases.push(make('objectUnknown', 'runId of no run', body('runId', UNKNOWN_ID), 'runId'));
    cases.push(
      make(
        'objectUnknown',
        'an artifactPath the run has not',
        body('artifactPath', 'no/such.bin'),
        'artifactPath',
      ),
    );
    cases.push(
      make('invalidValue', "a sha256 that is not the artifact's", body('sha256', '0'.repeat(64)), 'sha256'),
    );
  }
  return cases;
}

/** Query parameters that name an object by id (a folder `prefix` filters by any text, and is not one). */
const ID_QUERY_PARAMS = new Set(['workspace']);

/** Query parameters naming an id: a value outside the id pattern is 400 naming it. */
export function queryCases(operation: DocumentedOperation): BadInputCase[] {
  const make = caseMaker(operation);
  return operation.queryParams
    .filter((name) => ID_QUERY_PARAMS.has(name))
    .flatMap((name) =>
      INVALID_PATH_IDS.map((value) => {
        const request = validRequest(operation);
        return make(
          'invalidValue',
          `${name} ${JSON.stringify(value.slice(0, 20))}`,
          {
            ...request,
            path: `${request.path}?${name}=${value}`,
          },
          name,
        );
      }),
    );
}

/** Objects named in the body: unknown ones are 404 naming the field, an archived experiment takes no runs. */
export function referenceCases(operation: DocumentedOperation): BadInputCase[] {
  const make = caseMaker(operation);
  const schemaName = operation.schemaName;
  if (schemaName !== 'CreateRun' && schemaName !== 'CreateSweep') return [];
  const request = (field: string, value: string) =>
    validRequest(operation, { text: bodyWith(schemaName, [field], value) });
  const cases = [
    make(
      'objectUnknown',
      'experimentId of no experiment',
      request('experimentId', UNKNOWN_ID),
      'experimentId',
    ),
    make('objectUnknown', 'experimentId naming a run', request('experimentId', OTHER_RUN), 'experimentId'),
    make('experimentArchived', 'in an archived experiment', request('experimentId', ARCHIVED_EXPERIMENT)),
  ];
  if (schemaName === 'CreateRun') {
    cases.push(
      make('objectUnknown', 'parentRunId of no run', request('parentRunId', UNKNOWN_ID), 'parentRunId'),
    );
    cases.push(make('objectUnknown', 'sweepId of no sweep', request('sweepId', UNKNOWN_ID), 'sweepId'));
  }
  return cases;
}

/** An event id is a key for one request: reused by another request it is a 409, the same request again a 200. */
export function idempotencyCases(operation: DocumentedOperation): BadInputCase[] {
  const make = caseMaker(operation);
  const { schemaName, schema } = operation;
  if (!schemaName || !schema?.properties || !('eventId' in schema.properties)) return [];
  const withEventId = (eventId: string, body = validBody(schemaName)) => JSON.stringify({ ...body, eventId });
  const cases = [
    make(
      'eventIdReused',
      'the event id of a tags request on another run',
      validRequest(operation, { text: withEventId(USED_EVENT_ID) }),
    ),
  ];
  if (operation.key === `POST /api/v1/runs/{runId}/tags`) {
    const onRun = (runId: string, text: string) => validRequest(operation, { pathValues: { runId }, text });
    cases.push(
      make(
        'eventIdReused',
        'its event id with other tags, same run',
        onRun(IDEMPOTENCY_RUN, withEventId(USED_EVENT_ID, { tags: { stage: 'other' } })),
      ),
      make(
        'eventIdReused',
        'its event id, upper case, with other tags',
        onRun(IDEMPOTENCY_RUN, withEventId(USED_EVENT_ID.toUpperCase(), { tags: { stage: 'other' } })),
      ),
      make(
        'eventIdReused',
        'the same request on another run',
        onRun(OTHER_RUN, JSON.stringify(USED_REQUEST.body)),
      ),
      make(
        'sameRequestAgain',
        'the same request again',
        onRun(IDEMPOTENCY_RUN, JSON.stringify(USED_REQUEST.body)),
      ),
      make(
        'sameRequestAgain',
        'the same request, event id in upper case',
        onRun(IDEMPOTENCY_RUN, withEventId(USED_EVENT_ID.toUpperCase(), USED_REQUEST.body)),
      ),
    );
  }
  return cases;
}
