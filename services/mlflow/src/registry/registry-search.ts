import { likeMatcher } from '../experiments/experiment-search';
import { invalid } from '../protocol/mlflow-error';
import { offsetOf, offsetToken, type MlflowFields } from '../protocol/mlflow-fields';

/**
 * What a registry filter clause looks at: attributes (a model's `name`; a version's model `name`, `run_id`,
 * `version_number`, `source_path`) and tags (the model's, or the version's own when versions are searched).
 */
export interface Filterable {
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

const CLAUSE =
  /^\s*(?:(tags?)\.)?(`(?:[^`]|``)+`|"(?:[^"]|"")+"|[\w.]+)\s*(=|!=|<>|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i;
const IN_CLAUSE = /^\s*([\w.]+)\s+IN\s*\(\s*((?:'(?:[^']|'')*'\s*,\s*)*'(?:[^']|'')*')\s*\)\s*$/i;

function unquoteList(list: string): string[] {
  return [...list.matchAll(/'((?:[^']|'')*)'/g)].map((match) => match[1].replaceAll("''", "'"));
}

/**
 * MLflow's registry filters as its client sends them: attributes and `tags.<key>` (backquoted when dotted) with
 * = != LIKE ILIKE, and `attribute IN ('a', 'b')`, AND-ed. A subject without the tag fails = and LIKE and passes !=
 * (the client itself adds `tag.`mlflow.prompt.is_prompt` != 'true'` to every search).
 */
export function registryFilter(
  filter: string | undefined,
  attributes: readonly string[],
): (subject: Filterable) => boolean {
  if (filter === undefined || filter.trim() === '') return () => true;
  const refuse = () =>
    invalid(
      `Invalid filter '${filter}': Runlog answers ${attributes.join(', ')} and tags.<key> with =, !=, LIKE, ILIKE (and IN for attributes) here`,
    );
  const clauses = filter.split(/\s+and\s+/i).map((text) => {
    const inList = IN_CLAUSE.exec(text);
    if (inList) {
      const attribute = inList[1].toLowerCase();
      if (!attributes.includes(attribute)) throw refuse();
      const values = new Set(unquoteList(inList[2]));
      return (subject: Filterable) => values.has(subject.attributes[attribute]);
    }
    const match = CLAUSE.exec(text);
    const key = match ? match[2].replace(/^[`"]|[`"]$/g, '') : '';
    const attribute = key.toLowerCase();
    if (!match || (!match[1] && !attributes.includes(attribute))) throw refuse();
    const operator = match[3].toUpperCase() === '<>' ? '!=' : match[3].toUpperCase();
    const value = match[4].replaceAll("''", "'");
    const pattern =
      operator === 'LIKE' || operator === 'ILIKE' ? likeMatcher(value, operator === 'ILIKE') : null;
    return (subject: Filterable) => {
      const actual = match[1]
        ? Object.hasOwn(subject.tags, key)
          ? subject.tags[key]
          : undefined
        : subject.attributes[attribute];
      if (actual === undefined) return operator === '!=';
      if (pattern) return pattern(actual);
      return (actual === value) === (operator === '=');
    };
  });
  return (subject) => clauses.every((clause) => clause(subject));
}

/** One page of `items` by MLflow's `max_results` (1 to `cap`) and an offset page token. */
export function page<T>(items: T[], fields: MlflowFields, defaultMax: number, cap: number) {
  const max = fields.int64('max_results') ?? defaultMax;
  if (max < 1 || max > cap)
    throw invalid(`Invalid value for max_results: it must be 1 to ${cap}, got ${max}`);
  const offset = offsetOf(fields.string('page_token'));
  const next = offset + max < items.length ? { next_page_token: offsetToken(offset + max) } : {};
  return { items: items.slice(offset, offset + max), next };
}
