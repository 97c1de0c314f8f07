import fc from 'fast-check';
import { BoundParams, FilterMeaningError, renderRunFilter } from './filter-sql';
import {
  FilterSyntaxError,
  parseOrderKey,
  parseRunFilter,
  type Comparison,
  type RunFilter,
} from './run-filter';

/** Prints an AST back as filter text, quoting every key and string: what any AST must parse back to. */
function print(filter: RunFilter): string {
  if ('clauses' in filter) return `(${filter.clauses.map(print).join(` ${filter.kind.toUpperCase()} `)})`;
  const target = `${filter.entity}.\`${filter.key.replaceAll('`', '``')}\``;
  const literal = (value: string | number) =>
    typeof value === 'number' ? String(value) : `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  if (filter.kind === 'null') return `${target} IS ${filter.negated ? 'NOT ' : ''}NULL`;
  if (filter.kind === 'in')
    return `${target} ${filter.negated ? 'NOT ' : ''}IN (${filter.values.map(literal).join(', ')})`;
  return `${target} ${filter.op} ${literal(filter.value)}`;
}

const entity = fc.constantFrom('metrics', 'params', 'tags', 'attributes' as const);
const key = fc.string({ minLength: 1, maxLength: 12 });
const value = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
);
const comparison: fc.Arbitrary<Comparison> = fc.oneof(
  fc.record({
    kind: fc.constant('compare' as const),
    entity,
    key,
    op: fc.constantFrom('=', '!=', '<', '<=', '>', '>=', 'LIKE', 'ILIKE' as const),
    value,
  }),
  fc.record({
    kind: fc.constant('in' as const),
    entity,
    key,
    negated: fc.boolean(),
    values: fc.array(value, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('null' as const), entity, key, negated: fc.boolean() }),
);
const filter: fc.Arbitrary<RunFilter> = fc.letrec<{ filter: RunFilter }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small' },
    comparison,
    fc.record({
      kind: fc.constantFrom('and', 'or' as const),
      clauses: fc.array(tie('filter'), { minLength: 2, maxLength: 3 }),
    }),
  ),
})).filter;

/** AND of ANDs is one AND when printed and parsed again: compare flattened. */
function flatten(f: RunFilter): RunFilter {
  if (!('clauses' in f)) return f;
  const clauses = f.clauses
    .map(flatten)
    .flatMap((c) => ('clauses' in c && c.kind === f.kind ? c.clauses : [c]));
  return { kind: f.kind, clauses };
}

describe('the run filter grammar', () => {
  it('parses back whatever it prints, for any keys, strings and numbers', () => {
    fc.assert(
      fc.property(filter, (ast) => {
        expect(flatten(parseRunFilter(print(ast))!)).toEqual(flatten(ast));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['metrics.acc > 0.9', { kind: 'compare', entity: 'metrics', key: 'acc', op: '>', value: 0.9 }],
    ['METRIC.acc<=-1.5e-3', { kind: 'compare', entity: 'metrics', key: 'acc', op: '<=', value: -0.0015 }],
    ["params.lr = 'it''s'", { kind: 'compare', entity: 'params', key: 'lr', op: '=', value: "it's" }],
    ['params.lr = "a\\"b"', { kind: 'compare', entity: 'params', key: 'lr', op: '=', value: 'a"b' }],
    ['tags.`a b.c` != ""', { kind: 'compare', entity: 'tags', key: 'a b.c', op: '!=', value: '' }],
    [
      'attr.status not in (\'A\',"B")',
      { kind: 'in', entity: 'attributes', key: 'status', negated: true, values: ['A', 'B'] },
    ],
    [
      "run.name ilike '%x%'",
      { kind: 'compare', entity: 'attributes', key: 'name', op: 'ILIKE', value: '%x%' },
    ],
    ['params.a.b.c is not null', { kind: 'null', entity: 'params', key: 'a.b.c', negated: true }],
  ])('reads %s', (text, expected) => {
    expect(parseRunFilter(text)).toEqual(expected);
  });

  it('reads no filter from blank text, and AND before OR', () => {
    expect(parseRunFilter('  ')).toBeNull();
    const parsed = parseRunFilter('tags.a = "1" or tags.b = "2" and tags.c = "3"');
    expect(parsed).toMatchObject({ kind: 'or', clauses: [{ key: 'a' }, { kind: 'and' }] });
  });

  it.each([
    ['metrics.acc >', 14, 'a quoted string or a number'],
    ['metrics.acc > 1 and', 20, 'an entity and key'],
    ['acc > 1', 1, 'an entity and key'],
    ['metrics.acc >> 1', 14, 'a quoted string or a number'],
    ["params.lr = 'open", 13, 'a quoted string or a number'],
    ['metrics.acc = 1 metrics.b = 2', 17, '"and"'],
    ['(metrics.acc = 1', 17, '")"'],
    ['metrics.acc IN ()', 17, 'a quoted string or a number'],
  ])('refuses %j at column %i, expecting %s', (text, column, expected) => {
    let caught: unknown;
    try {
      parseRunFilter(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FilterSyntaxError);
    expect(caught).toMatchObject({ column, field: 'filter' });
    expect((caught as Error).message).toContain(expected);
  });

  it('refuses filters too long or nested too deep, before parsing them, naming where', () => {
    const deep = `${'('.repeat(3000)}metrics.a > 1${')'.repeat(3000)}`;
    expect(() => parseRunFilter(deep)).toThrow(/filter: longer than|nest deeper than 50/);
    const nested = `${'('.repeat(51)}metrics.a > 1${')'.repeat(51)}`;
    expect(() => parseRunFilter(nested)).toThrow(expect.objectContaining({ column: 51, field: 'filter' }));
    expect(parseRunFilter(`${'('.repeat(50)}metrics.a > 1${')'.repeat(50)}`)).toMatchObject({
      kind: 'compare',
    });
    expect(parseRunFilter("tags.t = '((((((((((((((((((((((((((((((((((((((((((((((((((((('")).toMatchObject({
      kind: 'compare',
    });
  });

  it('reads an ordering key and its direction', () => {
    expect(parseOrderKey('metrics.`val acc` DESC')).toEqual({
      entity: 'metrics',
      key: 'val acc',
      descending: true,
    });
    expect(parseOrderKey('params.lr')).toEqual({ entity: 'params', key: 'lr', descending: false });
    expect(() => parseOrderKey('metrics.acc up')).toThrow(FilterSyntaxError);
  });
});

describe('the filter as SQL', () => {
  it('binds every literal and key: no text of the filter reaches the SQL', () => {
    fc.assert(
      fc.property(filter, (ast) => {
        const params = new BoundParams();
        let sql: string;
        try {
          sql = renderRunFilter(ast, 'db', params);
        } catch (error) {
          expect(error).toBeInstanceOf(FilterMeaningError);
          return;
        }
        // Every literal and key is a placeholder: no quote of any kind is left in the SQL, one placeholder a value.
        expect(sql).not.toMatch(/['"`]/);
        expect(sql.match(/\{[a-z]\d+:/g)?.length ?? 0).toBe(Object.keys(params.values).length);
      }),
      { numRuns: 500 },
    );
  });

  it('reads a metric as its last value, a numeric param as its number, a status without case', () => {
    const params = new BoundParams();
    const sql = renderRunFilter(
      parseRunFilter(
        "metrics.acc > 0.5 and params.lr < 0.1 and params.opt = 'adam' and attributes.status = 'FINISHED'",
      )!,
      'db',
      params,
    );
    expect(sql).toMatchSnapshot();
    expect(params.values).toEqual({
      f0: 'acc',
      f1: 0.5,
      f2: 'lr',
      f3: 0.1,
      f4: 'opt',
      f5: 'adam',
      f6: 'finished',
    });
  });

  it('binds numbers the client cannot serialize as text the engine reads', () => {
    const params = new BoundParams();
    renderRunFilter(
      parseRunFilter('metrics.a < 1e16 and metrics.b > 1e400 and params.s IN (1, 18446744073709551615)')!,
      'db',
      params,
    );
    expect(Object.values(params.values)).toEqual([
      'a',
      '10000000000000000',
      'b',
      'inf',
      's',
      ['1', '18446744073709552000'],
    ]);
  });

  it.each([
    ["attributes.constructor = 'x'", /not an attribute/],
    ["attributes.__proto__ = 'x'", /not an attribute/],
    ["metrics.acc = 'x'", /compared with numbers/],
    ['tags.t > 1', /compared with quoted text/],
    ["metrics.acc LIKE '1'", /compared with numbers|compares text/],
    ["attributes.colour = 'red'", /not an attribute/],
    ["attributes.start_time > 'yesterday'", /compared with numbers/],
  ])('refuses %j for what it means', (text, message) => {
    expect(() => renderRunFilter(parseRunFilter(text)!, 'db', new BoundParams())).toThrow(message);
  });
});
