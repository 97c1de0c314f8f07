import { signal } from '@preact/signals';
import { formatViewState, parseViewState, type ViewState } from './view-state';

/** The current view, read from the address bar once and written back on every change. */
export const view = signal<ViewState>(parseViewState(window.location.search));

/**
 * Changes the view. A new page (or run, model) is a new history entry, so Back returns to where one came from;
 * a change within a view (filter typed, column added, zoom) replaces the entry instead of flooding the history.
 */
export function navigate(change: Partial<ViewState>): void {
  const next = { ...view.value, ...change };
  const isNewPlace =
    next.page !== view.value.page || next.run !== view.value.run || next.model !== view.value.model;
  const url = `${window.location.pathname}${formatViewState(next)}`;
  if (isNewPlace) window.history.pushState(null, '', url);
  else window.history.replaceState(null, '', url);
  view.value = next;
}

window.addEventListener('popstate', () => {
  view.value = parseViewState(window.location.search);
});
