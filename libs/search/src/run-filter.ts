import peggy from 'peggy';

/**
 * MLflow's run search grammar (`search_runs(filter_string=…)`), with OR and parentheses on top:
 *   metrics.acc > 0.9 and params.lr = '0.01' and tags.`team name` IN ('vision', 'nlp') and attributes.status = 'FINISHED'
 * Entities: metrics (a series' last value), params, tags, attributes (status, name / run_name, run_id, start_time,
 * end_time, created_by). Keys with dots or spaces are backquoted or double-quoted. Keywords and entity names are
 * case-insensitive; string literals take single or double quotes, a quote inside doubled or backslash-escaped.
 */
export type Entity = 'metrics' | 'params' | 'tags' | 'attributes';
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE';

export type FilterValue = string | number;

export type Comparison =
  | { kind: 'compare'; entity: Entity; key: string; op: Comparator; value: FilterValue }
  | { kind: 'in'; entity: Entity; key: string; negated: boolean; values: FilterValue[] }
  | { kind: 'null'; entity: Entity; key: string; negated: boolean };

export type RunFilter = Comparison | { kind: 'and' | 'or'; clauses: RunFilter[] };

export class FilterSyntaxError extends Error {
  readonly code = 'invalid_filter';
  constructor(
    message: string,
    /** 1-based column of the first character that does not fit. */
    readonly column: number,
    readonly expected: string[],
    /** The argument it was found in: filter or orderBy. */
    readonly field = 'filter',
  ) {
    super(message);
  }
}

const GRAMMAR = String.raw`
start = _ filter:or _ { return filter; }
order = _ target:target direction:(_ @$("asc"i / "desc"i) !identChar)? _
  { return { ...target, descending: direction !== null && direction.toLowerCase() === 'desc' }; }

or = head:and tail:(_ "or"i !identChar _ @and)* { return tail.length ? { kind: 'or', clauses: [head, ...tail] } : head; }
and = head:term tail:(_ "and"i !identChar _ @term)* { return tail.length ? { kind: 'and', clauses: [head, ...tail] } : head; }
term = "(" _ @or _ ")" / comparison

comparison
  = target:target _ "is"i !identChar _ negated:("not"i !identChar _)? "null"i !identChar
    { return { kind: 'null', ...target, negated: negated !== null }; }
  / target:target _ negated:("not"i !identChar _)? "in"i !identChar _ "(" _ values:valueList _ ")"
    { return { kind: 'in', ...target, negated: negated !== null, values }; }
  / target:target _ op:comparator _ value:value
    { return { kind: 'compare', ...target, op, value }; }

target "an entity and key such as metrics.acc, params.lr, tags.team or attributes.status"
  = entity:entity "." key:key { return { entity, key }; }

entity
  = ("metrics"i / "metric"i) !identChar { return 'metrics'; }
  / ("parameters"i / "parameter"i / "params"i / "param"i) !identChar { return 'params'; }
  / ("tags"i / "tag"i) !identChar { return 'tags'; }
  / ("attributes"i / "attribute"i / "attr"i / "run"i) !identChar { return 'attributes'; }

key = quotedKey / bareKey
bareKey "a key" = $([A-Za-z0-9_/\-:]+ ("." [A-Za-z0-9_/\-:]+)*)
quotedKey
  = "\u0060" chars:$(("\u0060\u0060" / [^\u0060])+) "\u0060" { return chars.replaceAll('\u0060\u0060', '\u0060'); }
  / '"' chars:(doubleChar)+ '"' { return chars.join(''); }

comparator "a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE)"
  = "<=" / ">=" / "!=" / "<>" { return '!='; } / "=" / "<" / ">"
  / "ilike"i !identChar { return 'ILIKE'; } / "like"i !identChar { return 'LIKE'; }

valueList = head:value tail:(_ "," _ @value)* { return [head, ...tail]; }
value "a quoted string or a number" = string / number

string
  = "'" chars:(singleChar)* "'" { return chars.join(''); }
  / '"' chars:(doubleChar)* '"' { return chars.join(''); }
singleChar = "''" { return "'"; } / "\\" c:. { return c; } / [^'\\]
doubleChar = '""' { return '"'; } / "\\" c:. { return c; } / [^"\\]

number "a number"
  = text:$([+-]? ([0-9]+ ("." [0-9]*)? / "." [0-9]+) ([eE] [+-]? [0-9]+)?) !identChar { return Number(text); }

identChar = [A-Za-z0-9_]
_ "whitespace" = [ \t\r\n]*
`;

/** One key of an ordering, as MLflow's order_by spells it: `metrics.acc DESC`, `params.lr`, `attributes.start_time`. */
export interface OrderKey {
  entity: Entity;
  key: string;
  descending: boolean;
  /** Of a metric: its last value (the default, and MLflow's meaning), or its minimum or maximum over the run. */
  aggregate?: 'last' | 'min' | 'max';
}

let parser: peggy.Parser | null = null;

/** Parses a filter; an empty or blank one is null (no filter). Throws FilterSyntaxError with where and what. */
export function parseRunFilter(text: string): RunFilter | null {
  if (text.trim() === '') return null;
  return parse(text, 'start', 'filter') as RunFilter;
}

/** `what`: the argument the key was given in (orderBy, groupBy), for the error's field. */
export function parseOrderKey(text: string, what = 'orderBy'): OrderKey {
  return parse(text, 'order', what) as OrderKey;
}

/** Longer filters are refused before parsing: a dashboard's are a few hundred characters. */
export const MAX_FILTER_LENGTH = 10_000;
/** Nested parentheses deeper than this are refused (the parser recurses once per level). */
export const MAX_FILTER_DEPTH = 50;

function parse(text: string, startRule: string, what: string): unknown {
  if (text.length > MAX_FILTER_LENGTH) {
    throw new FilterSyntaxError(
      `${what}: longer than ${MAX_FILTER_LENGTH} characters`,
      MAX_FILTER_LENGTH + 1,
      [],
      what,
    );
  }
  const depth = nestingDepth(text);
  if (depth.deepest > MAX_FILTER_DEPTH) {
    throw new FilterSyntaxError(
      `${what}: parentheses nest deeper than ${MAX_FILTER_DEPTH}`,
      depth.column,
      [],
      what,
    );
  }
  parser ??= peggy.generate(GRAMMAR, { allowedStartRules: ['start', 'order'] });
  try {
    return parser.parse(text, { startRule });
  } catch (error) {
    if (error instanceof parser.SyntaxError) {
      const expected = [
        ...new Set(
          (error.expected ?? []).map((item) =>
            item.type === 'literal'
              ? JSON.stringify(item.text)
              : item.type === 'end'
                ? 'the end'
                : ((item as { description?: string }).description ?? item.type),
          ),
        ),
      ];
      const column = error.location.start.offset + 1;
      const found = error.found === null ? 'the end of the filter' : JSON.stringify(error.found);
      throw new FilterSyntaxError(
        `${what}: at column ${column}, expected ${expected.join(', ') || 'nothing more'} but found ${found}`,
        column,
        expected,
        what,
      );
    }
    throw error;
  }
}

/** How deep parentheses nest outside quotes, and the column where the limit is first passed. */
function nestingDepth(text: string): { deepest: number; column: number } {
  let depth = 0;
  let deepest = 0;
  let column = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === '\\') i += 1;
      else if (char === quote) quote = null;
    } else if (char === "'" || char === '"' || char === '`') quote = char;
    else if (char === '(') {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest === MAX_FILTER_DEPTH + 1) column = i + 1;
      }
    } else if (char === ')') depth -= 1;
  }
  return { deepest, column };
}
