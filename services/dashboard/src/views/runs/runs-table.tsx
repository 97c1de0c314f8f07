import {
  elementScroll,
  observeElementOffset,
  observeElementRect,
  Virtualizer,
  type VirtualItem,
} from '@tanstack/virtual-core';
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import { cellValue, formatCell, formatTime, parseColumn, type Column, type RunRow } from './columns';

const ROW_HEIGHT = 28;

export interface RunsTableProps {
  rows: RunRow[];
  /** Changes when rows arrive (the array is filled in place). */
  version: number;
  columns: string[];
  sort: string[];
  selected: ReadonlySet<string>;
  onToggle: (runId: string) => void;
  onToggleAll: (select: boolean) => void;
  onSort: (column: Column) => void;
  onRemoveColumn: (id: string) => void;
  onOpen: (runId: string) => void;
}

/** Only the rows in view are in the DOM (@tanstack/virtual-core), so 100,000 runs scroll as 30 would. */
export function RunsTable(props: RunsTableProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const [virtualizer] = useState(
    () =>
      new Virtualizer<HTMLDivElement, HTMLDivElement>({
        count: props.rows.length,
        getScrollElement: () => scroller.current,
        estimateSize: () => ROW_HEIGHT,
        overscan: 20,
        scrollToFn: elementScroll,
        observeElementRect,
        observeElementOffset,
        onChange: () => rerender(0),
      }),
  );
  virtualizer.setOptions({ ...virtualizer.options, count: props.rows.length });
  useLayoutEffect(() => virtualizer._willUpdate());
  useEffect(() => virtualizer._didMount(), []);

  const columns = props.columns.map(parseColumn).filter((c): c is Column => c !== null);
  const sortOf = (column: Column) => {
    const term = props.sort.find((t) => t.startsWith(`${column.entity}.`) && t.includes(column.key));
    return term ? (term.endsWith('DESC') ? ' ↓' : ' ↑') : '';
  };
  const allSelected = props.rows.length > 0 && props.rows.every((row) => props.selected.has(row.id));
  const template = `2rem minmax(12rem, 2fr) 7rem 11rem ${columns.map(() => 'minmax(7rem, 1fr)').join(' ')}`;
  const items: VirtualItem[] = virtualizer.getVirtualItems();
  return (
    <div class="runs-table" role="table" aria-rowcount={props.rows.length} data-version={props.version}>
      <div class="row header" role="row" style={{ gridTemplateColumns: template }}>
        <span>
          <input
            type="checkbox"
            aria-label="select all"
            checked={allSelected}
            onChange={() => props.onToggleAll(!allSelected)}
          />
        </span>
        <span role="columnheader">name</span>
        <span role="columnheader">status</span>
        <span role="columnheader">created</span>
        {columns.map((column) => (
          <span role="columnheader" key={column.id} data-column={column.id}>
            <button class="link" onClick={() => props.onSort(column)} title="sort">
              {column.id}
              {sortOf(column)}
            </button>
            <button
              class="link remove"
              onClick={() => props.onRemoveColumn(column.id)}
              aria-label={`remove ${column.id}`}
            >
              ×
            </button>
          </span>
        ))}
      </div>
      <div ref={scroller} class="scroller">
        <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
          {items.map((item) => {
            const row = props.rows[item.index];
            if (!row) return null;
            return (
              <div
                key={row.id}
                class={`row ${props.selected.has(row.id) ? 'selected' : ''}`}
                role="row"
                data-run={row.id}
                style={{
                  gridTemplateColumns: template,
                  transform: `translateY(${item.start}px)`,
                  height: `${ROW_HEIGHT}px`,
                }}
              >
                <span>
                  <input
                    type="checkbox"
                    aria-label={`select ${row.name}`}
                    checked={props.selected.has(row.id)}
                    onChange={() => props.onToggle(row.id)}
                  />
                </span>
                <span role="cell">
                  <button class="link" onClick={() => props.onOpen(row.id)}>
                    {row.name || row.id}
                  </button>
                </span>
                <span role="cell" class={`status ${row.status.toLowerCase()}`}>
                  {row.status.toLowerCase()}
                </span>
                <span role="cell">{formatTime(row.createdAt)}</span>
                {columns.map((column) => {
                  const value = cellValue(row, column);
                  return (
                    <span role="cell" key={column.id} class={typeof value === 'number' ? 'number' : ''}>
                      {formatCell(value, column)}
                    </span>
                  );
                })}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
