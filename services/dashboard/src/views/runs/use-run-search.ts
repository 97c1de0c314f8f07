import { useEffect, useState } from 'preact/hooks';
import { GraphqlRequestError, request } from '../../api/client';
import type { SearchRunsQuery, SearchRunsQueryVariables } from '../../api/generated';
import { SEARCH_RUNS } from '../../api/operations';
import type { RunRow } from './columns';

/** Rows per request: the gateway's cost limit admits a page of this many runs with their params and metrics. */
const PAGE = 2000;
/** The most rows one search loads; the table says when there were more. */
export const MAX_ROWS = 200_000;

export interface RunSearchState {
  rows: RunRow[];
  loading: boolean;
  complete: boolean;
  error: GraphqlRequestError | Error | null;
  /** Bumped as pages arrive, so views re-render without copying the rows. */
  version: number;
}

export interface RunSearchQuery {
  experimentIds: string[] | null;
  sweepId: string | null;
  filter: string;
  orderBy: string[];
}

/**
 * The runs a search matches, page after page (the table shows the first as soon as it arrives). A new search
 * abandons the pages of the last one.
 */
export function useRunSearch(query: RunSearchQuery | null): RunSearchState {
  const [state, setState] = useState<RunSearchState>({
    rows: [],
    loading: false,
    complete: false,
    error: null,
    version: 0,
  });
  const key = JSON.stringify(query);
  useEffect(() => {
    if (!query) return;
    const abort = new AbortController();
    const rows: RunRow[] = [];
    setState((s) => ({ rows, loading: true, complete: false, error: null, version: s.version + 1 }));
    void (async () => {
      let after: string | null = null;
      try {
        for (;;) {
          const variables: SearchRunsQueryVariables = {
            experimentIds: query.experimentIds,
            sweepId: query.sweepId,
            filter: query.filter.trim() === '' ? null : query.filter,
            orderBy: query.orderBy.length ? query.orderBy : null,
            first: PAGE,
            after,
          };
          const data: SearchRunsQuery = await request<SearchRunsQuery, SearchRunsQueryVariables>(
            SEARCH_RUNS,
            variables,
            abort.signal,
          );
          for (const edge of data.searchRuns.edges) rows.push(edge.node);
          const done = !data.searchRuns.pageInfo.hasNextPage || rows.length >= MAX_ROWS;
          setState((s) => ({ rows, loading: !done, complete: done, error: null, version: s.version + 1 }));
          if (done) return;
          after = data.searchRuns.pageInfo.endCursor;
        }
      } catch (error) {
        if (abort.signal.aborted) return;
        setState((s) => ({
          rows,
          loading: false,
          complete: false,
          error: error instanceof Error ? error : new Error(String(error)),
          version: s.version + 1,
        }));
      }
    })();
    return () => abort.abort();
  }, [key]);
  return state;
}
