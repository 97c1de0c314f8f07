import { parseArgs } from 'node:util';
import { operatorConnection } from './connection';
import { OperatorUsageError, type OperatorCliDependencies } from './audit-verify';
import { ProgressLine } from './progress';

export const REPLAY_USAGE = `runlog replay [--no-swap] [--force] [--url <url>] [--token <token>] [--json]

Asks the projector (at --url or RUNLOG_URL) to rebuild every projection from the first record of the log into fresh
tables, with the upcasters it runs, while the live tables keep serving; then to compare a checksum of each rebuilt
table with the live one and, when all are equal, swap them in (one EXCHANGE per table: nothing live is dropped).
Progress (records, points/s, ETA) goes to stderr; the comparison to stdout. Needs an admin token (--token or
RUNLOG_TOKEN) where the server checks tokens.

  --no-swap  compare only: the live tables stay
  --force    swap even where a rebuilt table differs (after an upcaster fix, the difference is the point)
  --json     print the final status as JSON on stdout

Exit code: 0 when the rebuild equals the live tables (or was forced in), 1 when it differs or failed, 2 for a bad
command line.
`;

interface TableComparison {
  table: string;
  live: { rows: number; checksum: string } | null;
  replay: { rows: number; checksum: string } | null;
  equal: boolean;
}

interface ReplayStatus {
  state: string;
  records: { done: number; total: number };
  points: number;
  pointsPerSecond: number;
  deadLetters: number;
  tables: TableComparison[];
  error: string | null;
  database: string;
}

const FINISHED = new Set(['swapped', 'compared', 'mismatch', 'failed']);
const NUMBER = new Intl.NumberFormat('en-US');

function parse(argv: readonly string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        'no-swap': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        url: { type: 'string' },
        token: { type: 'string' },
        'poll-ms': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new OperatorUsageError(`unexpected argument "${positionals[0]}"`);
    const pollMs = values['poll-ms'] === undefined ? 500 : Number(values['poll-ms']);
    if (!Number.isInteger(pollMs) || pollMs < 10)
      throw new OperatorUsageError('--poll-ms must be an integer ≥ 10');
    return {
      swap: !values['no-swap'],
      force: values.force ?? false,
      json: values.json ?? false,
      url: values.url,
      token: values.token,
      pollMs,
    };
  } catch (error) {
    if (error instanceof OperatorUsageError) throw error;
    throw new OperatorUsageError(error instanceof Error ? error.message : String(error));
  }
}

/** `runlog replay`: starts the rebuild on the server and follows it to its end. */
export async function replay(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  const options = parse(argv);
  const connection = operatorConnection(options, dependencies.env);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (connection.token !== undefined) headers.authorization = `Bearer ${connection.token}`;
  const call = async (method: 'GET' | 'POST', body?: object): Promise<ReplayStatus> => {
    const response = await fetch(`${connection.baseUrl}/admin/replay`, {
      method,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`the server refused with ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as ReplayStatus;
  };
  await call('POST', { swap: options.swap, force: options.force });
  const progress = new ProgressLine(dependencies.stderr, {
    label: 'replay',
    unit: 'records',
    now: dependencies.now,
  });
  let status: ReplayStatus;
  for (;;) {
    status = await call('GET');
    const detail = `${NUMBER.format(status.points)} points, ${NUMBER.format(status.pointsPerSecond)} points/s, ${status.state}`;
    if (FINISHED.has(status.state)) {
      progress.finish(status.records.done, status.records.total, detail);
      break;
    }
    progress.update(status.records.done, status.records.total, detail);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  if (options.json) dependencies.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else dependencies.stdout.write(describe(status));
  return status.state === 'swapped' || status.state === 'compared' ? 0 : 1;
}

function describe(status: ReplayStatus): string {
  if (status.state === 'failed') return `replay failed: ${status.error ?? 'unknown error'}\n`;
  const lines = status.tables.map((table) => {
    const rows = (side: TableComparison['live']) => (side ? NUMBER.format(side.rows) : 'absent');
    const mark = table.equal ? 'equal ' : 'DIFFERS';
    return `  ${mark}  ${table.table.padEnd(22)} live ${rows(table.live).padStart(12)} rows, rebuilt ${rows(table.replay).padStart(12)} rows`;
  });
  const verdict: Record<string, string> = {
    swapped: `every table rebuilt from the log; the rebuilt tables are live now (the previous ones are in ${status.database})`,
    compared: 'every rebuilt table equals the live one (nothing swapped: --no-swap)',
    mismatch: `the rebuild differs from the live tables: nothing swapped (the rebuild is in ${status.database}; --force swaps it in)`,
  };
  const skipped =
    status.deadLetters > 0 ? `\n${status.deadLetters} records could not be projected (dead letters)` : '';
  return `${lines.join('\n')}\n${verdict[status.state] ?? status.state}${skipped}\n`;
}
