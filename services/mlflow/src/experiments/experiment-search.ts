import type { ExperimentView } from '../../../../libs/store/src';
import { invalid } from '../protocol/mlflow-error';

type Clause =
  | { attribute: 'name' | 'creation_time' | 'last_update_time'; op: string; value: string | number }
  | { attribute: 'tag'; key: string; op: string; value: string };

const TAG_CLAUSE =
  /^\s*tags?\.(`(?:[^`]|``)+`|"(?:[^"]|"")+"|[\w.\-/:]+)\s*(=|!=|<>|\bLIKE\b|\bILIKE\b)\s*('(?:[^']|'')*'|"(?:[^"]|"")*")\s*$/i;
const unquote = (text: string) =>
  /^[`'"]/.test(text) ? text.slice(1, -1).replaceAll(text[0] + text[0], text[0]) : text;

const CLAUSE =
  /^\s*(?:attributes?\.|attr\.)?`?(name|creation_time|last_update_time)`?\s*(=|!=|<>|<=|>=|<|>|\bLIKE\b|\bILIKE\b)\s*('(?:[^']|'')*'|"(?:[^"]|"")*"|-?\d+(?:\.\d+)?)\s*$/i;

/** Splits on AND outside quotes. */
function clausesOf(filter: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < filter.length; i++) {
    const char = filter[i];
    if (quote) {
      if (char === quote) quote = null;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (/\s/.test(filter[i - 1] ?? ' ') && /^and\s/i.test(filter.slice(i, i + 4))) {
      parts.push(filter.slice(start, i));
      start = i + 3;
    }
  }
  parts.push(filter.slice(start));
  return parts;
}

/** MLflow's experiment filter (search_experiments): `name`, times and `tags.<key>`, joined by AND. */
export function parseExperimentFilter(filter: string | undefined): Clause[] {
  if (filter === undefined || filter.trim() === '') return [];
  return clausesOf(filter).map((text) => {
    if (/^\s*tags?\./i.test(text)) {
      const tag = TAG_CLAUSE.exec(text);
      if (!tag) throw invalid(`Invalid filter '${filter}': cannot parse the clause '${text.trim()}'`);
      const op = tag[2].toUpperCase() === '<>' ? '!=' : tag[2].toUpperCase();
      return { attribute: 'tag', key: unquote(tag[1]), op, value: unquote(tag[3]) };
    }
    const match = CLAUSE.exec(text);
    if (!match) throw invalid(`Invalid filter '${filter}': cannot parse the clause '${text.trim()}'`);
    const [, attribute, rawOp, rawValue] = match;
    const op = rawOp.toUpperCase() === '<>' ? '!=' : rawOp.toUpperCase();
    const quoted = /^['"]/.test(rawValue);
    const value = quoted
      ? rawValue.slice(1, -1).replaceAll(rawValue[0] + rawValue[0], rawValue[0])
      : Number(rawValue);
    const name = attribute.toLowerCase() as 'name' | 'creation_time' | 'last_update_time';
    if ((name === 'name') !== quoted) {
      throw invalid(
        `Invalid filter '${filter}': ${name} compares with ${name === 'name' ? 'a quoted string' : 'a number'}`,
      );
    }
    if (name === 'name' && ['<', '<=', '>', '>='].includes(op))
      throw invalid(`Invalid comparator '${op}' for name`);
    if (name !== 'name' && (op === 'LIKE' || op === 'ILIKE'))
      throw invalid(`Invalid comparator '${op}' for ${name}`);
    return { attribute: name, op, value };
  });
}

/**
 * SQL LIKE: `%` any run of characters, `_` one. Matched by the two-pointer wildcard walk, in time proportional to
 * the text times the pattern at worst: a regular expression of many `%` would backtrack for hours on one request.
 */
export function likeMatcher(pattern: string, caseless: boolean): (text: string) => boolean {
  const wanted = [...(caseless ? pattern.toLowerCase() : pattern)];
  return (input) => {
    const text = [...(caseless ? input.toLowerCase() : input)];
    let i = 0;
    let j = 0;
    let star = -1;
    let resume = 0;
    while (i < text.length) {
      if (j < wanted.length && (wanted[j] === '_' || wanted[j] === text[i])) {
        i++;
        j++;
      } else if (j < wanted.length && wanted[j] === '%') {
        star = j++;
        resume = i;
      } else if (star >= 0) {
        j = star + 1;
        i = ++resume;
      } else {
        return false;
      }
    }
    while (j < wanted.length && wanted[j] === '%') j++;
    return j === wanted.length;
  };
}

function matches(experiment: ExperimentView, clause: Clause): boolean {
  // A tag the experiment does not have matches no comparison, as in MLflow.
  if (clause.attribute === 'tag' && !Object.hasOwn(experiment.tags, clause.key)) return false;
  const actual =
    clause.attribute === 'tag'
      ? experiment.tags[clause.key]
      : clause.attribute === 'name'
        ? experiment.name
        : experiment.createdAt;
  const { value, op } = clause;
  switch (op) {
    case '=':
      return actual === value;
    case '!=':
      return actual !== value;
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    default:
      return likeMatcher(String(value), op === 'ILIKE')(String(actual));
  }
}

const ORDERABLE: Record<string, (e: ExperimentView) => string | number> = {
  name: (e) => e.name,
  experiment_id: (e) => e.experimentId.padStart(64, '0'),
  creation_time: (e) => e.createdAt,
  last_update_time: (e) => e.createdAt,
};

/** Filtered and ordered as MLflow orders experiments: the given keys (else newest first), then experiment_id descending. */
export function searchExperiments(
  experiments: ExperimentView[],
  filter: string | undefined,
  orderBy: string[],
): ExperimentView[] {
  const clauses = parseExperimentFilter(filter);
  const keys = orderBy.map((text) => {
    const match = /^\s*(?:attributes?\.)?`?(\w+)`?(?:\s+(ASC|DESC))?\s*$/i.exec(text);
    const read = match ? ORDERABLE[match[1].toLowerCase()] : undefined;
    if (!match || !read) throw invalid(`Invalid order_by clause '${text}'`);
    return { read, descending: match[2]?.toUpperCase() === 'DESC' };
  });
  // Without an order, MLflow lists the newest first.
  if (keys.length === 0) keys.push({ read: ORDERABLE.creation_time, descending: true });
  keys.push({ read: ORDERABLE.experiment_id, descending: true });
  return experiments
    .filter((experiment) => clauses.every((clause) => matches(experiment, clause)))
    .sort((a, b) => {
      for (const { read, descending } of keys) {
        const [x, y] = [read(a), read(b)];
        if (x !== y) return (x < y ? -1 : 1) * (descending ? -1 : 1);
      }
      return 0;
    });
}
