import { gzipSync } from 'node:zlib';
import type { BadInputCase } from './bad-input-case';
import { bodyWithRaw, caseMaker, escapeRegExp, validRequest } from './case-building';
import type { DocumentedOperation } from './operations';
import { validBody } from './targets';

export const MAX_BODY_BYTES = 2 * 1024 * 1024;
const DEEP_NESTING = 5_000;

/** Where each schema holds free-form JSON (or numbers): deep nesting and 1e400 go there. */
const NUMERIC_FIELDS: Record<string, (string | number)[][]> = {
  LogMetrics: [
    ['metrics', 0, 'values', 1],
    ['metrics', 0, 'steps', 1],
    ['metrics', 0, 'timestamps', 1],
  ],
  LogParams: [['params', 'lr']],
  CreateSweep: [['searchSpace', 'lr', 'values', 0]],
  RegisterArtifact: [['size']],
};
const NESTING_FIELD: Record<string, (string | number)[]> = {
  CreateSweep: ['searchSpace', 'lr'],
  LogParams: ['params', 'lr'],
  SetTags: ['tags', 'stage'],
  CreateRun: ['context'],
  StartRun: ['context'],
  LogInputs: ['inputs', 0],
  LogMetrics: ['metrics', 0, 'values'],
};

/** Refusals of the HTTP layer: content type, charset, encoding, length, and bodies no JSON parser should take. */
export function transportCases(operation: DocumentedOperation): BadInputCase[] {
  const schemaName = operation.schemaName;
  if (!schemaName) return [];
  const make = caseMaker(operation);
  const valid = JSON.stringify(validBody(schemaName));
  const withHeaders = (headers: Record<string, string>, text = valid) =>
    validRequest(operation, { text, headers });
  const cases: BadInputCase[] = [
    make('contentTypeMissing', 'no Content-Type, a JSON body', withHeaders({})),
    // A bodiless PUT or DELETE without a Content-Type passes the edge (no page sends one cross-site); a POST never.
    ...(operation.method === 'POST'
      ? [make('contentTypeMissing', 'no Content-Type, no body', { ...withHeaders({}), body: undefined })]
      : []),
    make(
      'contentTypeNotJson',
      'text/plain (a cross-site simple POST)',
      withHeaders({ 'content-type': 'text/plain' }),
    ),
    make(
      'contentTypeNotJson',
      'a urlencoded form',
      withHeaders({ 'content-type': 'application/x-www-form-urlencoded' }, 'eventId=1&name=x'),
    ),
    make(
      'contentTypeNotJson',
      'a multipart form',
      withHeaders(
        { 'content-type': 'multipart/form-data; boundary=xyz' },
        `--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n${valid}\r\n--xyz--\r\n`,
      ),
    ),
    make('contentTypeNotJson', 'application/xml', withHeaders({ 'content-type': 'application/xml' }, '<a/>')),
    // Express routes without regard to case, so the upper-case spelling reaches the same handler.
    make('contentTypeNotJson', 'text/plain to the upper-case path', {
      ...withHeaders({ 'content-type': 'text/plain' }),
      path: withHeaders({}).path.replace('/api/v1/', '/API/V1/'),
    }),
    make('charsetNotUtf8', 'charset=utf-16le', {
      ...withHeaders({ 'content-type': 'application/json; charset=utf-16le' }),
      body: Buffer.from(valid, 'utf16le'),
    }),
    make(
      'charsetNotUtf8',
      'charset=iso-8859-1',
      withHeaders({ 'content-type': 'application/json; charset=iso-8859-1' }),
    ),
    make(
      'encodingUnknown',
      'Content-Encoding: x-bogus',
      withHeaders({ 'content-type': 'application/json', 'content-encoding': 'x-bogus' }),
    ),
    make(
      'notDeclaredGzip',
      'Content-Encoding: gzip over plain bytes',
      withHeaders({ 'content-type': 'application/json', 'content-encoding': 'gzip' }),
    ),
    make('declaredTooLarge', 'Content-Length: 100 GiB, 16 bytes sent', {
      ...validRequest(operation),
      body: valid.slice(0, 16),
      declaredLength: 107374182400,
    }),
    make('malformedJson', 'a truncated object', validRequest(operation, { text: valid.slice(0, -1) })),
    make('malformedJson', 'a trailing comma', validRequest(operation, { text: valid.replace(/}$/, ',}') })),
    make('notAnObject', 'a JSON array', validRequest(operation, { text: '[1]' })),
  ];
  const nestAt = NESTING_FIELD[schemaName] ?? ['nested'];
  cases.push(
    make(
      'nestedTooDeep',
      `${DEEP_NESTING} nested arrays`,
      validRequest(operation, {
        text: bodyWithRaw(schemaName, nestAt, `${'['.repeat(DEEP_NESTING)}${']'.repeat(DEEP_NESTING)}`),
      }),
      new RegExp(`^${escapeRegExp(String(nestAt[0]))}`),
    ),
  );
  for (const path of NUMERIC_FIELDS[schemaName] ?? []) {
    for (const number of ['1e400', '-1e400']) {
      cases.push(
        make(
          'numberOutOfRange',
          `${number} at ${path.join('.')}`,
          validRequest(operation, { text: bodyWithRaw(schemaName, path, number) }),
          new RegExp(`^${escapeRegExp(String(path[0]))}`),
        ),
      );
    }
  }
  return cases;
}

/** Bodies over the cap, sent whole or as a gzip bomb, and bytes that are not UTF-8: a few routes suffice. */
export function volumeCases(operations: DocumentedOperation[]): BadInputCase[] {
  const byKey = (key: string) => {
    const operation = operations.find((candidate) => candidate.key === key);
    if (!operation) throw new Error(`no documented operation ${key}`);
    return operation;
  };
  const tags = byKey('POST /api/v1/runs/{runId}/tags');
  const note = byKey('POST /api/v1/runs/{runId}/note');
  const oversizedNote = JSON.stringify({ note: 'x'.repeat(MAX_BODY_BYTES + 1) });
  const bomb = gzipSync(Buffer.from(JSON.stringify({ tags: { big: ' '.repeat(64 * 1024 * 1024) } })));
  const experiments = byKey('POST /api/v1/experiments');
  /** The text with its `@@` replaced by 0xff 0xfe, which no UTF-8 text holds. */
  const withInvalidBytes = (text: string) => {
    const [before, after] = text.split('@@');
    return Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
  };
  return [
    caseMaker(note)(
      'sentTooLarge',
      'a note over the body cap, sent',
      validRequest(note, { text: oversizedNote }),
    ),
    caseMaker(tags)('sentTooLarge', 'a 64 MiB gzip bomb', {
      ...validRequest(tags, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }),
      body: bomb,
    }),
    caseMaker(tags)('invalidUtf8', 'bytes 0xff 0xfe inside a tag value', {
      ...validRequest(tags),
      body: withInvalidBytes('{"tags":{"stage":"ab@@c"}}'),
    }),
    caseMaker(note)('invalidUtf8', 'bytes 0xff 0xfe inside the note', {
      ...validRequest(note),
      body: withInvalidBytes('{"note":"ab@@c"}'),
    }),
    caseMaker(experiments)('invalidUtf8', 'bytes 0xff 0xfe inside an experiment name', {
      ...validRequest(experiments),
      body: withInvalidBytes('{"name":"ab@@c"}'),
    }),
  ];
}
