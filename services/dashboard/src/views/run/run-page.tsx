import { useEffect, useState } from 'preact/hooks';
import { request, subscribe } from '../../api/client';
import { fetchArtifact } from '../../api/artifacts';
import type {
  RunDetailQuery,
  RunDetailQueryVariables,
  RunStatusChangedSubscription,
} from '../../api/generated';
import { RUN_DETAIL, RUN_STATUS_CHANGED } from '../../api/operations';
import { view } from '../../state/view';
import { ChartPanel } from '../charts/chart-panel';
import { formatNumber, formatTime } from '../runs/columns';
import { KeyValueTable } from '../shared/key-value-table';
import { MediaSection } from './media-section';
import { messageOf } from '../../api/message-of';

type RunDetail = NonNullable<RunDetailQuery['run']>;

/** One run: status, params, tags, note, context, inputs, artifacts, its charts and system metrics, its history. */
export function RunPage() {
  const runId = view.value.run;
  const [data, setData] = useState<RunDetailQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  useEffect(() => {
    if (!runId) return;
    setData(null);
    setStatus(null);
    setError(null);
    // An answer for the run shown before this one is dropped, not shown under this one.
    const abort = new AbortController();
    request<RunDetailQuery, RunDetailQueryVariables>(RUN_DETAIL, { id: runId }, abort.signal).then(
      (answer) => !abort.signal.aborted && setData(answer),
      (e: unknown) => !abort.signal.aborted && setError(messageOf(e)),
    );
    const stop = subscribe<RunStatusChangedSubscription, { runId: string }>(
      RUN_STATUS_CHANGED,
      { runId },
      { next: (change) => setStatus(change.runStatusChanged.status) },
    );
    return () => {
      abort.abort();
      stop();
    };
  }, [runId]);
  if (!runId) return <p class="error">No run chosen.</p>;
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">loading…</p>;
  const run = data.run;
  if (!run) return <p class="error">No run {runId} (or not one you may read).</p>;
  const shownStatus = status ?? run.status;
  const systemKeys = run.metrics.filter((m) => m.key.startsWith('system/'));
  const modelKeys = run.metrics.filter((m) => !m.key.startsWith('system/'));
  return (
    <article class="run-page">
      <header>
        <h1>{run.name || run.id}</h1>
        <p>
          <span class={`status ${shownStatus.toLowerCase()}`} data-testid="run-status">
            {shownStatus.toLowerCase()}
          </span>{' '}
          · run <code>{run.id}</code> · workspace {run.workspace}
          {run.sweep ? ` · sweep ${run.sweep.name}` : ''}
          {run.startTime ? ` · started ${formatTime(run.startTime)}` : ''}
          {run.endTime ? ` · ended ${formatTime(run.endTime)}` : ''}
        </p>
        {run.failureReason ? <p class="error">failed: {run.failureReason}</p> : null}
        {run.note ? <blockquote class="note">{run.note}</blockquote> : null}
      </header>
      <div class="grid">
        <KeyValueTable title="Params" rows={run.params.map((p) => [p.key, p.value])} />
        <KeyValueTable title="Tags" rows={run.tags.map((t) => [t.key, t.value])} />
        <KeyValueTable
          title="Metrics (last)"
          rows={run.metrics.map((m) => [m.key, `${formatNumber(m.last)} @ ${m.lastStep}`])}
        />
        <ContextTable run={run} />
        <KeyValueTable
          title="Inputs"
          rows={run.inputs.map((input) => [
            input.name,
            `${input.digest.slice(0, 12)}${input.split ? ` · ${input.split}` : ''}${input.rows ? ` · ${input.rows} rows` : ''}${input.source ? ` · ${input.source}` : ''}`,
          ])}
        />
      </div>
      <Artifacts run={run} />
      <MediaSection key={run.id} runId={run.id} />
      {modelKeys.length > 0 ? (
        <ChartPanel title="Metrics" runs={[{ ...run, status: shownStatus, metrics: modelKeys }]} />
      ) : null}
      {systemKeys.length > 0 ? (
        <ChartPanel title="System metrics" runs={[{ ...run, status: shownStatus, metrics: systemKeys }]} />
      ) : null}
      <section>
        <h2>History</h2>
        <table class="history">
          <thead>
            <tr>
              <th>recorded</th>
              <th>event</th>
              <th>actor</th>
              <th>hash</th>
            </tr>
          </thead>
          <tbody>
            {data.runHistory.map((event) => (
              <tr key={event.id}>
                <td>{formatTime(event.recordedAt)}</td>
                <td>{event.type}</td>
                <td>{event.actor}</td>
                <td>
                  <code>{event.hash.slice(0, 16)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </article>
  );
}

function ContextTable({ run }: { run: RunDetail }) {
  const context = run.context;
  if (!context) return <KeyValueTable title="Context" rows={[]} />;
  const rows: [string, string][] = [];
  const add = (key: string, value: unknown) => {
    if (value !== null && value !== undefined && value !== '') rows.push([key, String(value)]);
  };
  add('host', context.host);
  add('user', context.user);
  add('commit', context.code?.commit);
  add('branch', context.code?.branch);
  add('remote', context.code?.remote);
  add('dirty', context.code?.dirty);
  add('entry point', context.code?.entryPoint);
  add(
    'runtime',
    [context.environment?.runtime, context.environment?.runtimeVersion].filter(Boolean).join(' '),
  );
  add('platform', [context.environment?.platform, context.environment?.arch].filter(Boolean).join(' '));
  add('container image', context.environment?.containerImageDigest);
  add('lockfile', context.environment?.lockfileDigest);
  add('cpus', context.hardware?.cpuCount);
  add('cpu', context.hardware?.cpuModel);
  add(
    'memory',
    context.hardware?.memoryBytes ? `${(context.hardware.memoryBytes / 2 ** 30).toFixed(1)} GiB` : null,
  );
  for (const gpu of context.hardware?.gpus ?? []) add('gpu', gpu.model);
  for (const seed of context.seeds) add(`seed ${seed.key}`, seed.value);
  return <KeyValueTable title="Context" rows={rows} />;
}

function Artifacts({ run }: { run: RunDetail }) {
  const [failure, setFailure] = useState<string | null>(null);
  const download = async (path: string) => {
    setFailure(null);
    let blob: Blob;
    try {
      blob = await (await fetchArtifact(run.id, path)).blob();
    } catch (error) {
      setFailure(messageOf(error));
      return;
    }
    // Fetched with the credential, then handed to the browser as a file.
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = path.split('/').pop() ?? path;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <section>
      <h2>Artifacts</h2>
      {failure ? <p class="error">{failure}</p> : null}
      {run.artifacts.length === 0 ? <p class="muted">none</p> : null}
      <table class="artifacts">
        <tbody>
          {run.artifacts.map((artifact) => (
            <tr key={artifact.path}>
              <td>
                <button class="link" onClick={() => void download(artifact.path)}>
                  {artifact.path}
                </button>
              </td>
              <td class="number">{artifact.size.toLocaleString('en')} B</td>
              <td>{artifact.contentType}</td>
              <td>
                <code>{artifact.digest.slice(0, 12)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
