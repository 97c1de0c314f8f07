import { useEffect, useMemo, useState } from 'preact/hooks';
import { GraphqlRequestError, request } from '../../api/client';
import type { ExperimentsQuery } from '../../api/generated';
import { EXPERIMENTS } from '../../api/operations';
import { navigate, view } from '../../state/view';
import { ChartPanel } from '../charts/chart-panel';
import { availableColumns, orderTerm, type Column } from './columns';
import { FilterBox } from './filter-box';
import { RunsTable } from './runs-table';
import { useRunSearch } from './use-run-search';
import { messageOf } from '../../api/message-of';

type Experiment = ExperimentsQuery['experiments'][number];

/** Experiments and sweeps, the runs table over a search, and the charts of the selected runs. */
export function RunsPage() {
  const state = view.value;
  const [experiments, setExperiments] = useState<Experiment[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    request<ExperimentsQuery>(EXPERIMENTS).then(
      (data) => setExperiments(data.experiments),
      (error: unknown) => setLoadError(messageOf(error)),
    );
  }, []);

  const experimentIds = state.experiment
    ? [state.experiment]
    : (experiments?.filter((e) => !e.archived).map((e) => e.id) ?? null);
  const search = useRunSearch(
    experimentIds === null || (experimentIds.length === 0 && !state.sweep)
      ? null
      : {
          experimentIds: state.sweep ? null : experimentIds,
          sweepId: state.sweep,
          filter: state.filter,
          orderBy: state.sort,
        },
  );
  const selected = useMemo(() => new Set(state.selected), [state.selected]);
  const sweeps = useMemo(() => sweepsOf(search.rows), [search.version]);
  const columnsOffered = useMemo(() => availableColumns(search.rows), [search.version]);
  const filterError =
    search.error instanceof GraphqlRequestError ? (search.error.about('filter') ?? null) : null;
  const otherError = search.error && !filterError ? search.error.message : null;

  const toggle = (runId: string) =>
    navigate({
      selected: selected.has(runId)
        ? state.selected.filter((id) => id !== runId)
        : [...state.selected, runId],
    });
  const sortBy = (column: Column) => {
    const current = state.sort[0];
    const ascending = orderTerm(column, false);
    navigate({ sort: [current === ascending ? orderTerm(column, true) : ascending] });
  };
  const rowsById = useMemo(() => new Map(search.rows.map((row) => [row.id, row])), [search.version]);
  // The charts start from the ids in the URL, not after the table's pages: a selection outside the filter stays
  // charted, and a shared link draws while the table still loads (names and statuses fill in as rows arrive).
  const selectedRuns = state.selected.map(
    (id) => rowsById.get(id) ?? { id, name: id, status: '', startTime: null, metrics: [] },
  );

  return (
    <div class="runs-page">
      <aside class="sidebar">
        <h2>Experiments</h2>
        {loadError ? <p class="error">{loadError}</p> : null}
        <ul>
          <li>
            <button
              class={`link ${state.experiment === null && state.sweep === null ? 'current' : ''}`}
              onClick={() => navigate({ experiment: null, sweep: null })}
            >
              all experiments
            </button>
          </li>
          {(experiments ?? []).map((experiment) => (
            <li key={experiment.id}>
              <button
                class={`link ${state.experiment === experiment.id && !state.sweep ? 'current' : ''}`}
                onClick={() => navigate({ experiment: experiment.id, sweep: null })}
              >
                {experiment.name}
              </button>
            </li>
          ))}
        </ul>
        {sweeps.length > 0 || state.sweep ? (
          <>
            <h2>Sweeps</h2>
            <ul>
              {sweeps.map((sweep) => (
                <li key={sweep.id}>
                  <button
                    class={`link ${state.sweep === sweep.id ? 'current' : ''}`}
                    onClick={() => navigate({ sweep: sweep.id })}
                  >
                    {sweep.name}
                  </button>
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </aside>
      <section class="main">
        <FilterBox value={state.filter} error={filterError} onApply={(filter) => navigate({ filter })} />
        <div class="toolbar">
          <span class="count" data-testid="run-count">
            {search.rows.length.toLocaleString('en')} runs{search.loading ? ' (loading…)' : ''}
          </span>
          <label>
            add column{' '}
            <select
              aria-label="add column"
              value=""
              onChange={(event) => {
                const id = (event.target as HTMLSelectElement).value;
                if (id && !state.columns.includes(id)) navigate({ columns: [...state.columns, id] });
              }}
            >
              <option value="">…</option>
              {columnsOffered
                .filter((id) => !state.columns.includes(id))
                .map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
            </select>
          </label>
          <span>{state.selected.length} selected</span>
          <button
            disabled={state.selected.length < 2}
            onClick={() => navigate({ page: 'compare' })}
            title="compare the selected runs side by side"
          >
            Compare
          </button>
          {state.sweep ? (
            <button onClick={() => navigate({ page: 'compare', selected: [] })}>Sweep view</button>
          ) : null}
        </div>
        {otherError ? <p class="error">{otherError}</p> : null}
        <RunsTable
          rows={search.rows}
          version={search.version}
          columns={state.columns}
          sort={state.sort}
          selected={selected}
          onToggle={toggle}
          onToggleAll={(select) =>
            navigate({ selected: select ? search.rows.slice(0, 100).map((r) => r.id) : [] })
          }
          onSort={sortBy}
          onRemoveColumn={(id) => navigate({ columns: state.columns.filter((c) => c !== id) })}
          onOpen={(runId) => navigate({ page: 'run', run: runId })}
        />
        <ChartPanel runs={selectedRuns} />
      </section>
    </div>
  );
}

function sweepsOf(rows: readonly { sweep: { id: string; name: string } | null }[]) {
  const found = new Map<string, { id: string; name: string }>();
  for (const row of rows) if (row.sweep) found.set(row.sweep.id, row.sweep);
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}
