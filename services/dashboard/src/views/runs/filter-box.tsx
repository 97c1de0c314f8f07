import { useEffect, useState } from 'preact/hooks';
import type { GraphqlErrorEntry } from '../../api/client';

export interface FilterBoxProps {
  value: string;
  error: GraphqlErrorEntry | null;
  onApply: (filter: string) => void;
}

/**
 * The search grammar in a box (`metrics.acc > 0.9 and params.lr = '0.01'`): applied on Enter, and a refusal is
 * shown under the text with a caret at the column the server names.
 */
export function FilterBox({ value, error, onApply }: FilterBoxProps) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const column = typeof error?.extensions?.column === 'number' ? error.extensions.column : null;
  return (
    <form
      class="filter"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(text);
      }}
    >
      <input
        name="filter"
        aria-label="filter"
        spellcheck={false}
        placeholder="metrics.loss < 0.5 and params.optimizer = 'adam'"
        value={text}
        onInput={(event) => setText((event.target as HTMLInputElement).value)}
      />
      <button type="submit">Search</button>
      {error ? (
        <div class="filter-error" role="alert">
          {column !== null ? (
            <pre>
              {value}
              {'\n'}
              {' '.repeat(Math.max(0, column - 1))}^
            </pre>
          ) : null}
          <span>{error.message}</span>
        </div>
      ) : null}
    </form>
  );
}
