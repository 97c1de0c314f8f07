/**
 * Everything a view shows is decided by this state, and this state lives in the URL's query string: a link
 * reproduces the view (filter, columns, sort, selection, chart settings, as-of instant) for whoever opens it.
 * Credentials never go here (see api/credentials.ts).
 */
export type Page = 'runs' | 'run' | 'compare' | 'registry';
export type XAxis = 'step' | 'wall' | 'relative';

export interface ViewState {
  page: Page;
  experiment: string | null;
  sweep: string | null;
  filter: string;
  /** orderBy terms, e.g. `metrics.loss ASC`. */
  sort: string[];
  /** Extra columns of the runs table: `params.lr`, `tags.team`, `metrics.loss`, `attributes.status`. */
  columns: string[];
  selected: string[];
  /** Metric keys the charts draw. */
  keys: string[];
  x: XAxis;
  /** Exponential smoothing weight, 0 (none) to 0.99. */
  smooth: number;
  log: boolean;
  /** The zoomed x range; null: everything. */
  from: number | null;
  to: number | null;
  run: string | null;
  model: string | null;
  /** Epoch ms the registry is shown as of; null: now. */
  asOf: number | null;
}

export const DEFAULT_VIEW: ViewState = {
  page: 'runs',
  experiment: null,
  sweep: null,
  filter: '',
  sort: [],
  columns: [],
  selected: [],
  keys: [],
  x: 'step',
  smooth: 0,
  log: false,
  from: null,
  to: null,
  run: null,
  model: null,
  asOf: null,
};

const PAGES: readonly Page[] = ['runs', 'run', 'compare', 'registry'];
const X_AXES: readonly XAxis[] = ['step', 'wall', 'relative'];
/** A list is its parameter repeated (`selected=a&selected=b`): URLSearchParams escapes each item whole. */
function list(query: URLSearchParams, name: string): string[] {
  return query.getAll(name).filter((item) => item !== '');
}

function finite(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** Reads a query string; whatever is missing or malformed takes its default, so any link opens some view. */
export function parseViewState(search: string): ViewState {
  const query = new URLSearchParams(search);
  const smooth = finite(query.get('smooth'));
  return {
    page: oneOf(query.get('page'), PAGES, DEFAULT_VIEW.page),
    experiment: query.get('experiment') || null,
    sweep: query.get('sweep') || null,
    filter: query.get('filter') ?? '',
    sort: list(query, 'sort'),
    columns: list(query, 'columns'),
    selected: list(query, 'selected'),
    keys: list(query, 'keys'),
    x: oneOf(query.get('x'), X_AXES, DEFAULT_VIEW.x),
    smooth: smooth === null ? 0 : Math.min(0.99, Math.max(0, smooth)),
    log: query.get('log') === '1',
    from: finite(query.get('from')),
    to: finite(query.get('to')),
    run: query.get('run') || null,
    model: query.get('model') || null,
    asOf: finite(query.get('asOf')),
  };
}

/** The query string of a state: only what differs from the defaults, in a fixed order. */
export function formatViewState(state: ViewState): string {
  const query = new URLSearchParams();
  for (const name of Object.keys(DEFAULT_VIEW) as (keyof ViewState)[]) {
    const value = state[name];
    if (JSON.stringify(value) === JSON.stringify(DEFAULT_VIEW[name])) continue;
    if (Array.isArray(value)) for (const item of value) query.append(name, item);
    else if (typeof value === 'boolean') query.set(name, value ? '1' : '0');
    else if (value !== null) query.set(name, String(value));
  }
  const text = query.toString();
  return text === '' ? '' : `?${text}`;
}
