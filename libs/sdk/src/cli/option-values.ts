import type { AccessRole } from '../token-api';

/** Input the CLI refuses before asking the server: exit code 2, one line naming the option. */
export class UsageError extends Error {}

/** The project's default port (services/standalone/src/config.ts: RUNLOG_PORT, else PORT, else 8080). */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

export const ACCESS_ROLES: readonly AccessRole[] = ['viewer', 'writer', 'approver', 'admin'];

/** The server refuses an expiry further ahead (services/ingest/src/access/token-requests.ts); refused here first. */
export const MAX_LIFETIME_MS = 10 * 365 * 86_400_000;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The server's workspace names (libs/access/src/access-events.ts); checked here since they travel in a header. */
const WORKSPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** fetch fails a header holding a space or a control character as if the network had. */
const HEADER_SAFE_TOKEN = /^[\x21-\x7e]+$/;
const TOKEN_ID = /^[0-9a-f]{16}$/;
/** A date (midnight UTC) or a date-time with its offset: a time without one would depend on this machine's zone. */
const ISO_DATE_OR_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i;

/** A value quoted on one line, however many newlines or control characters it holds. */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

/** `--expires-in <n>(s|m|h|d)` as milliseconds, from one second to ten years. */
export function parseExpiresIn(text: string): number {
  // Plain decimal only: 1e3s, +1d, 1.5h and 030d are more likely slips than intent.
  const match = /^(0|[1-9]\d*)([smhd])$/.exec(text);
  if (!match) {
    throw new UsageError(
      `--expires-in must be a whole number and a unit s, m, h or d (e.g. 30d), got ${quoted(text)}`,
    );
  }
  const lifetimeMs = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (lifetimeMs === 0) throw new UsageError(`--expires-in must be at least 1s, got ${quoted(text)}`);
  if (lifetimeMs > MAX_LIFETIME_MS)
    throw new UsageError(`--expires-in must be at most ten years (3650d), got ${quoted(text)}`);
  return lifetimeMs;
}

/** `--expires-at` as the ISO instant the server stores. */
export function parseExpiresAt(text: string, now: number): string {
  const match = ISO_DATE_OR_DATE_TIME.exec(text);
  const at = match ? Date.parse(text) : NaN;
  // Date.parse rolls 2030-02-31 over into March instead of refusing it.
  const [year, month, day] = match ? [match[1], match[2], match[3]].map(Number) : [];
  const calendarDay = match && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
  if (Number.isNaN(at) || !calendarDay) {
    throw new UsageError(
      `--expires-at must be a date (2030-01-31) or a date-time with its offset (2030-01-31T12:00:00Z), got ${quoted(text)}`,
    );
  }
  if (at <= now) throw new UsageError(`--expires-at must be in the future, got ${quoted(text)}`);
  if (at - now > MAX_LIFETIME_MS)
    throw new UsageError(`--expires-at must be within ten years, got ${quoted(text)}`);
  return new Date(at).toISOString();
}

/** `--roles viewer,writer`: each one known, each once. */
export function parseRoles(text: string): AccessRole[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new UsageError(`--roles needs at least one of ${ACCESS_ROLES.join(', ')}`);
  const unknown = names.find((name) => !(ACCESS_ROLES as readonly string[]).includes(name));
  if (unknown !== undefined) {
    throw new UsageError(`--roles: ${quoted(unknown)} is not a role (one of ${ACCESS_ROLES.join(', ')})`);
  }
  return [...new Set(names)] as AccessRole[];
}

/** A token id as `runlog token list` shows it; a pasted secret is refused without being echoed or sent. */
export function parseTokenId(text: string): string {
  if (TOKEN_ID.test(text)) return text;
  if (text.startsWith('rl_')) {
    throw new UsageError(
      '<tokenId> looks like a token secret (rl_…): pass its id, the 16 hex digits after rl_',
    );
  }
  throw new UsageError(`<tokenId> must be 16 hex digits as shown by runlog token list, got ${quoted(text)}`);
}

export interface Connection {
  baseUrl: string;
  token?: string;
  workspace?: string;
}

export interface ConnectionOptions {
  url?: string;
  token?: string;
  workspace?: string;
}

/** Where and as whom to ask: each option, else its environment variable (an empty one counts as unset). */
export function resolveConnection(
  options: ConnectionOptions,
  env: Record<string, string | undefined>,
): Connection {
  const url = options.url ?? (env.RUNLOG_URL || DEFAULT_URL);
  const urlSource = options.url !== undefined ? '--url' : 'RUNLOG_URL';
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Refused just below, as any URL that is not http(s) is.
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(`${urlSource} must be an http(s) URL such as ${DEFAULT_URL}, got ${quoted(url)}`);
  }
  const token = options.token ?? (env.RUNLOG_TOKEN || undefined);
  if (token !== undefined && !HEADER_SAFE_TOKEN.test(token)) {
    // Never echoed: it is a credential.
    const source = options.token !== undefined ? '--token' : 'RUNLOG_TOKEN';
    throw new UsageError(`${source} must be printable ASCII without spaces`);
  }
  const workspace = options.workspace ?? (env.RUNLOG_WORKSPACE || undefined);
  if (workspace !== undefined && !WORKSPACE_NAME.test(workspace)) {
    const source = options.workspace !== undefined ? '--workspace' : 'RUNLOG_WORKSPACE';
    throw new UsageError(
      `${source} must be letters, digits, _ and - (up to 64, starting with a letter or digit), got ${quoted(workspace)}`,
    );
  }
  return { baseUrl: url.replace(/\/+$/, ''), token, workspace };
}
