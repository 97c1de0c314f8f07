import { useMemo, useState } from 'preact/hooks';
import { request } from '../../api/client';
import type { RunStatusesQuery, RunStatusesQueryVariables } from '../../api/generated';
import { RUN_STATUSES } from '../../api/operations';
import { OverlayChart, type ChartRun } from '../../chart/overlay-chart';
import { navigate, view } from '../../state/view';
import type { XAxis } from '../../state/view-state';

/** The metricSeries overlay takes up to this many runs in one request. */
export const MAX_CHART_RUNS = 100;

interface PanelRun extends ChartRun {
  metrics: { key: string }[];
}

/**
 * Charts of the given runs, one per chosen metric key, with the settings every chart shares (x axis, smoothing,
 * log scale, zoom), all kept in the URL.
 */
export function ChartPanel({ runs, title }: { runs: PanelRun[]; title?: string }) {
  const state = view.value;
  // Statuses learnt after the runs were listed: a followed run's points completing means it ended.
  const [statuses, setStatuses] = useState<ReadonlyMap<string, string>>(new Map());
  const charted = runs
    .slice(0, MAX_CHART_RUNS)
    .map((run) => ({ ...run, status: statuses.get(run.id) ?? run.status }));
  const learnStatus = (runId: string) => {
    request<RunStatusesQuery, RunStatusesQueryVariables>(RUN_STATUSES, { ids: [runId] }).then(
      (data) => {
        const status = data.compareRuns.runs.find((run) => run.id === runId)?.status;
        if (status) setStatuses((previous) => new Map([...previous, [runId, status]]));
      },
      () => undefined,
    );
  };
  const offered = useMemo(() => {
    const keys = new Set<string>();
    for (const run of runs) for (const metric of run.metrics) keys.add(metric.key);
    return [...keys].sort();
  }, [runs]);
  const keys = state.keys.length > 0 ? state.keys : offered.slice(0, 1);
  if (runs.length === 0) return <p class="muted hint">Select runs to chart them.</p>;
  return (
    <section class="chart-panel">
      <header class="toolbar">
        {title ? <h2>{title}</h2> : null}
        <label>
          metrics{' '}
          <select
            multiple
            aria-label="metrics"
            size={Math.min(4, Math.max(2, offered.length))}
            onChange={(event) =>
              navigate({
                keys: [...(event.target as HTMLSelectElement).selectedOptions].map((option) => option.value),
              })
            }
          >
            {offered.map((key) => (
              <option key={key} value={key} selected={keys.includes(key)}>
                {key}
              </option>
            ))}
          </select>
        </label>
        <label>
          x{' '}
          <select
            aria-label="x axis"
            value={state.x}
            onChange={(event) =>
              navigate({ x: (event.target as HTMLSelectElement).value as XAxis, from: null, to: null })
            }
          >
            <option value="step">step</option>
            <option value="wall">wall time</option>
            <option value="relative">relative time</option>
          </select>
        </label>
        <label>
          smoothing{' '}
          <input
            type="range"
            aria-label="smoothing"
            min={0}
            max={0.99}
            step={0.01}
            value={state.smooth}
            onChange={(event) => navigate({ smooth: Number((event.target as HTMLInputElement).value) })}
          />
          <output>{state.smooth.toFixed(2)}</output>
        </label>
        <label>
          <input
            type="checkbox"
            aria-label="log scale"
            checked={state.log}
            onChange={(event) => navigate({ log: (event.target as HTMLInputElement).checked })}
          />{' '}
          log scale
        </label>
        {runs.length > MAX_CHART_RUNS ? (
          <span class="muted">
            charting the first {MAX_CHART_RUNS} of {runs.length} selected
          </span>
        ) : null}
      </header>
      <ul class="run-badges">
        {charted.map((run) => (
          <li key={run.id} data-run={run.id} class={`status ${run.status.toLowerCase()}`}>
            {run.name}: {run.status.toLowerCase()}
          </li>
        ))}
      </ul>
      {keys.map((key) => (
        <OverlayChart
          key={key}
          name={`overlay:${key}`}
          runs={charted}
          keys={[key]}
          x={state.x}
          smoothing={state.smooth}
          log={state.log}
          from={state.from}
          to={state.to}
          onZoom={(range) => navigate(range)}
          onRunEnded={learnStatus}
        />
      ))}
    </section>
  );
}
