import { useEffect, useState } from 'preact/hooks';
import { request } from '../../api/client';
import type {
  ModelAsOfQuery,
  ModelAsOfQueryVariables,
  RegisteredModelQuery,
  RegisteredModelQueryVariables,
  RegisteredModelsQuery,
} from '../../api/generated';
import { MODEL_AS_OF, REGISTERED_MODEL, REGISTERED_MODELS } from '../../api/operations';
import { navigate, view } from '../../state/view';
import { formatTime } from '../runs/columns';
import { AuditPanel } from './audit-panel';
import { fromLocalInput, toLocalInput } from './local-time';
import { messageOf } from '../../api/message-of';

type ModelSummary = RegisteredModelsQuery['registeredModels'][number];
type Model = NonNullable<RegisteredModelQuery['registeredModel']>;
type ModelThen = NonNullable<ModelAsOfQuery['modelAsOf']>['model'];

/** Models, their versions, aliases and stages, every promotion with who, when, why and the approval, as of then. */
export function RegistryPage() {
  const state = view.value;
  const [models, setModels] = useState<ModelSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    request<RegisteredModelsQuery>(REGISTERED_MODELS).then(
      (data) => setModels(data.registeredModels),
      (e: unknown) => setError(messageOf(e)),
    );
  }, []);
  return (
    <div class="registry-page">
      <aside class="sidebar">
        <h2>Models</h2>
        {error ? <p class="error">{error}</p> : null}
        <ul>
          {(models ?? []).map((model) => (
            <li key={model.modelId}>
              <button
                class={`link ${state.model === model.name ? 'current' : ''}`}
                onClick={() => navigate({ model: model.name })}
              >
                {model.name}
              </button>{' '}
              <span class="muted">
                {model.versions.length} v ·{' '}
                {model.versions.find((v) => v.stage === 'Production')?.version ?? '–'} in production
              </span>
            </li>
          ))}
        </ul>
        <AuditPanel />
      </aside>
      <section class="main">
        <label class="as-of">
          as of{' '}
          <input
            type="datetime-local"
            step={1}
            aria-label="as of"
            value={state.asOf === null ? '' : toLocalInput(state.asOf)}
            onChange={(event) => navigate({ asOf: fromLocalInput((event.target as HTMLInputElement).value) })}
          />
          {state.asOf !== null ? (
            <button class="link" onClick={() => navigate({ asOf: null })}>
              now
            </button>
          ) : null}
        </label>
        {state.model ? (
          <ModelView name={state.model} asOf={state.asOf} />
        ) : (
          <p class="muted">Choose a model.</p>
        )}
      </section>
    </div>
  );
}

function ModelView({ name, asOf }: { name: string; asOf: number | null }) {
  const [now, setNow] = useState<Model | null>(null);
  const [then, setThen] = useState<ModelAsOfQuery['modelAsOf'] | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  // Each answer is dropped once another model or instant is asked for, so none shows under the wrong one.
  useEffect(() => {
    setError(null);
    setNow(null);
    const abort = new AbortController();
    request<RegisteredModelQuery, RegisteredModelQueryVariables>(
      REGISTERED_MODEL,
      { name },
      abort.signal,
    ).then(
      (data) => !abort.signal.aborted && setNow(data.registeredModel),
      (e: unknown) => !abort.signal.aborted && setError(messageOf(e)),
    );
    return () => abort.abort();
  }, [name]);
  useEffect(() => {
    setThen(undefined);
    if (asOf === null) return;
    const abort = new AbortController();
    request<ModelAsOfQuery, ModelAsOfQueryVariables>(MODEL_AS_OF, { name, asOf }, abort.signal).then(
      (data) => !abort.signal.aborted && setThen(data.modelAsOf),
      (e: unknown) => !abort.signal.aborted && setError(messageOf(e)),
    );
    return () => abort.abort();
  }, [name, asOf]);
  if (error) return <p class="error">{error}</p>;
  if (!now) return <p class="muted">loading…</p>;
  const shown: ModelThen | Model | null = asOf === null ? now : (then?.model ?? null);
  const promotions = now.promotions.filter((p) => asOf === null || p.at <= asOf);
  return (
    <article class="model" data-model={name}>
      <h1>{name}</h1>
      {asOf !== null ? (
        <p class="as-of-note" data-testid="as-of-note">
          {then === undefined
            ? 'reading the log…'
            : then === null
              ? `no model had this name at ${formatTime(asOf)}`
              : `as of ${formatTime(asOf)}: ${then.eventsFolded} events folded from the log, chain ${then.chainIntact ? 'intact' : 'BROKEN'}`}
        </p>
      ) : null}
      {shown ? (
        <>
          <p>{shown.description}</p>
          <h2>Versions</h2>
          <table class="versions">
            <thead>
              <tr>
                <th>version</th>
                <th>stage</th>
                <th>aliases</th>
                <th>run</th>
                <th>registered</th>
                <th>sha256</th>
              </tr>
            </thead>
            <tbody>
              {shown.versions.map((version) => (
                <tr key={version.version} data-version={version.version}>
                  <td>v{version.version}</td>
                  <td
                    class={`stage ${version.stage.toLowerCase()}`}
                    data-testid={`stage-v${version.version}`}
                  >
                    {version.stage}
                  </td>
                  <td data-testid={`aliases-v${version.version}`}>{version.aliases.join(', ')}</td>
                  <td>
                    <button class="link" onClick={() => navigate({ page: 'run', run: version.runId })}>
                      {version.runId.slice(0, 12)}
                    </button>
                  </td>
                  <td>
                    {formatTime(version.registeredAt)} by {version.registeredBy}
                  </td>
                  <td>
                    <code>{version.sha256.slice(0, 12)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h2>Promotions</h2>
      {promotions.length === 0 ? <p class="muted">none</p> : null}
      <table class="promotions">
        <thead>
          <tr>
            <th>when</th>
            <th>who</th>
            <th>what</th>
            <th>why</th>
            <th>approval</th>
          </tr>
        </thead>
        <tbody>
          {promotions.map((p) => (
            <tr key={p.eventId} data-event={p.eventId}>
              <td>{formatTime(p.at)}</td>
              <td>
                {p.actor}
                {p.onBehalfOf ? ` for ${p.onBehalfOf}` : ''}
              </td>
              <td>
                v{p.version} → {p.stage ?? `@${p.alias}`}
                {p.previousHolder !== null ? ` (replacing v${p.previousHolder})` : ''}
                {p.previousStage ? ` from ${p.previousStage}` : ''}
              </td>
              <td>{p.reason}</td>
              <td>
                {p.approval
                  ? `asked by ${p.approval.requestedBy}, approved by ${p.approval.approvedBy}: ${p.approval.comment}`
                  : '—'}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </article>
  );
}
