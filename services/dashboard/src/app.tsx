import { useState } from 'preact/hooks';
import { resetSubscriptions } from './api/client';
import { storedToken, storeToken } from './api/credentials';
import { navigate, view } from './state/view';
import type { Page } from './state/view-state';
import { ComparePage } from './views/compare/compare-page';
import { RegistryPage } from './views/registry/registry-page';
import { RunPage } from './views/run/run-page';
import { RunsPage } from './views/runs/runs-page';

const PAGES: { page: Page; label: string }[] = [
  { page: 'runs', label: 'Runs' },
  { page: 'compare', label: 'Compare' },
  { page: 'registry', label: 'Registry' },
];

export function App() {
  const state = view.value;
  return (
    <>
      <header class="top">
        <strong class="brand">Runlog</strong>
        <nav>
          {PAGES.map(({ page, label }) => (
            <button
              key={page}
              class={`tab ${state.page === page ? 'current' : ''}`}
              onClick={() => navigate({ page })}
            >
              {label}
            </button>
          ))}
        </nav>
        <TokenField />
      </header>
      <main>
        {state.page === 'runs' ? <RunsPage /> : null}
        {state.page === 'run' ? <RunPage /> : null}
        {state.page === 'compare' ? <ComparePage /> : null}
        {state.page === 'registry' ? <RegistryPage /> : null}
      </main>
    </>
  );
}

/** Where the server asks for a credential (RUNLOG_AUTH), the token is pasted here; on loopback none is needed. */
function TokenField() {
  const [token, setToken] = useState(storedToken() ?? '');
  return (
    <form
      class="token"
      onSubmit={(event) => {
        event.preventDefault();
        storeToken(token);
        resetSubscriptions();
        window.location.reload();
      }}
    >
      <input
        type="password"
        aria-label="token"
        placeholder="token (if the server asks)"
        value={token}
        onInput={(event) => setToken((event.target as HTMLInputElement).value)}
      />
    </form>
  );
}
