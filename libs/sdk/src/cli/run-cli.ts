import { RunlogRequestError } from '../request-error';
import type { ApiAccess } from '../token-api';
import { parseCommandLine } from './command-line';
import { COMMANDS, type TextSink } from './commands';
import { resolveConnection, UsageError, type Connection } from './option-values';
import { usage } from './usage';

export const EXIT_OK = 0;
/** The server refused, or could not be reached. */
export const EXIT_FAILED = 1;
/** The command line was refused before anything was sent. */
export const EXIT_USAGE = 2;

/** Everything the CLI touches outside itself, so a test can run it in-process. */
export interface CliDependencies {
  env: Record<string, string | undefined>;
  stdout: TextSink;
  stderr: TextSink;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * The token routes called straight, not through RunlogClient: the client falls back to process.env for its token
 * and starts a flush timer, and the CLI must see only the environment it is given and hold nothing open.
 */
function apiAccess(connection: Connection, fetchImpl: typeof fetch): ApiAccess {
  const headers: Record<string, string> = {};
  if (connection.token !== undefined) headers.authorization = `Bearer ${connection.token}`;
  if (connection.workspace !== undefined) headers['x-runlog-workspace'] = connection.workspace;
  return { baseUrl: connection.baseUrl, fetch: fetchImpl, headers };
}

/** The server's `{ error, message }` as one line; any other body as its first line. */
function refusalMessage(error: RunlogRequestError): string {
  let code = '';
  let message = error.body.trim().split('\n')[0].slice(0, 300);
  try {
    const body = JSON.parse(error.body) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') code = ` ${body.error}`;
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON (a proxy's page): its first line is shown as it is.
  }
  const hint = error.status === 401 ? ' (check --token or RUNLOG_TOKEN)' : '';
  const oneLine = message.replace(/\s*\n\s*/g, ' ') || '(no message)';
  return `runlog: the server refused with ${error.status}${code}: ${oneLine}${hint}`;
}

interface ThrownError {
  name?: unknown;
  message?: unknown;
  cause?: { code?: string; message?: string };
}

/**
 * fetch's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND) in its cause. Told by its shape, not by
 * instanceof: fetch's errors come from Node's own realm, not necessarily the caller's (a test runner's sandbox).
 */
function unreachableReason(error: unknown): string | undefined {
  const thrown = (error ?? {}) as ThrownError;
  if (thrown.name !== 'TypeError' || thrown.message !== 'fetch failed') return undefined;
  return thrown.cause?.code ?? thrown.cause?.message ?? 'fetch failed';
}

function messageOf(error: unknown): string {
  const message = (error as ThrownError | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
}

/** Runs one command line; resolves to the process' exit code and never throws. */
export async function runCli(argv: readonly string[], dependencies: CliDependencies): Promise<number> {
  const { stdout, stderr } = dependencies;
  let baseUrl = '';
  try {
    const line = parseCommandLine(argv);
    if (line.help) {
      stdout.write(usage(line.topic));
      return EXIT_OK;
    }
    const connection = resolveConnection(line.values, dependencies.env);
    baseUrl = connection.baseUrl;
    await COMMANDS[line.command](
      {
        access: apiAccess(connection, dependencies.fetch ?? fetch),
        workspace: connection.workspace,
        stdout,
        stderr,
        now: dependencies.now ?? Date.now,
      },
      line.values,
      line.args,
    );
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      stderr.write(`runlog: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof RunlogRequestError) {
      stderr.write(`${refusalMessage(error)}\n`);
      return EXIT_FAILED;
    }
    const unreachable = unreachableReason(error);
    if (unreachable !== undefined) {
      stderr.write(`runlog: cannot reach ${baseUrl}: ${unreachable}\n`);
      return EXIT_FAILED;
    }
    stderr.write(`runlog: ${messageOf(error)}\n`);
    return EXIT_FAILED;
  }
}
