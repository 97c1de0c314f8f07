import { useEffect, useState } from 'preact/hooks';
import { request } from '../../api/client';
import type { CompareRunsQuery, CompareRunsQueryVariables } from '../../api/generated';
import { COMPARE_RUNS } from '../../api/operations';
import { navigate, view } from '../../state/view';
import { SweepView } from './sweep-view';
import { messageOf } from '../../api/message-of';

/** The selected runs side by side (differing rows marked), and, for a sweep, its parallel coordinates. */
export function ComparePage() {
  const state = view.value;
  const [data, setData] = useState<CompareRunsQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [onlyDiffering, setOnlyDiffering] = useState(false);
  const ids = state.selected.slice(0, 100);
  useEffect(() => {
    setData(null);
    setError(null);
    if (ids.length === 0) return;
    request<CompareRunsQuery, CompareRunsQueryVariables>(COMPARE_RUNS, { ids }).then(setData, (e: unknown) =>
      setError(messageOf(e)),
    );
  }, [JSON.stringify(ids)]);
  const rows = data?.compareRuns.rows.filter((row) => !onlyDiffering || row.differs) ?? [];
  let section = '';
  return (
    <article class="compare-page">
      {state.sweep ? <SweepView sweepId={state.sweep} /> : null}
      {ids.length > 0 ? <h1>Compare {ids.length} runs</h1> : null}
      {ids.length === 0 && !state.sweep ? (
        <p class="muted">Select runs on the runs page, then Compare.</p>
      ) : null}
      {error ? <p class="error">{error}</p> : null}
      {data ? (
        <>
          <label>
            <input
              type="checkbox"
              checked={onlyDiffering}
              onChange={(event) => setOnlyDiffering((event.target as HTMLInputElement).checked)}
            />{' '}
            only what differs
          </label>
          <div class="compare-scroll">
            <table class="compare">
              <thead>
                <tr>
                  <th />
                  {data.compareRuns.runs.map((run) => (
                    <th key={run.id}>
                      <button class="link" onClick={() => navigate({ page: 'run', run: run.id })}>
                        {run.name || run.id}
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.flatMap((row) => {
                  const heading =
                    row.section !== section ? (
                      <tr class="section" key={`section-${row.section}`}>
                        <th colSpan={data.compareRuns.runs.length + 1}>{(section = row.section)}</th>
                      </tr>
                    ) : null;
                  const line = (
                    <tr
                      key={`${row.section}.${row.key}`}
                      class={row.differs ? 'differs' : ''}
                      data-key={`${row.section}.${row.key}`}
                    >
                      <th scope="row">{row.key}</th>
                      {row.values.map((value, i) => (
                        <td key={i}>{value ?? '—'}</td>
                      ))}
                    </tr>
                  );
                  return heading ? [heading, line] : [line];
                })}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </article>
  );
}
