import {
  issueToken,
  listTokens,
  revokeToken,
  whoami,
  type ApiAccess,
  type IssuedToken,
  type IssueTokenRequest,
  type TokenView,
} from '../token-api';
import type { CommandName, OptionValues } from './command-line';
import { parseExpiresAt, parseExpiresIn, parseRoles, parseTokenId, UsageError } from './option-values';

export interface TextSink {
  write(text: string): unknown;
}

export interface CommandContext {
  access: ApiAccess;
  workspace?: string;
  stdout: TextSink;
  stderr: TextSink;
  now: () => number;
}

type Command = (context: CommandContext, values: OptionValues, args: string[]) => Promise<void>;

/** Rows as columns padded to their widest cell, two spaces apart. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/** Milliseconds add width to every table row and say nothing about when a token works. */
function shortTime(iso: string | null | undefined, absent: string): string {
  return iso ? iso.replace(/\.\d+Z$/, 'Z') : absent;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const whoamiCommand: Command = async (context, values) => {
  const me = await whoami(context.access);
  if (values.json) {
    context.stdout.write(json(me));
    return;
  }
  const rows = [
    ['principal', me.principal],
    ['kind', me.kind],
  ];
  if (me.tokenId !== undefined) rows.push(['token', me.tokenId]);
  const grants = Object.entries(me.grants ?? {});
  if (grants.length === 0) rows.push(['grants', '(none)']);
  grants.forEach(([workspace, roles], index) =>
    rows.push([index === 0 ? 'grants' : '', `${workspace}: ${roles.join(', ')}`]),
  );
  context.stdout.write(formatTable(rows));
};

/** Every option checked before the request: a refused option must not leave a half-configured token behind. */
function issueRequest(context: CommandContext, values: OptionValues): IssueTokenRequest {
  if (values.roles === undefined) throw new UsageError('--roles is required (e.g. --roles viewer,writer)');
  if (values['expires-in'] !== undefined && values['expires-at'] !== undefined) {
    throw new UsageError('--expires-in and --expires-at: give one of them, not both');
  }
  const roles = parseRoles(values.roles);
  const now = context.now();
  const expiresAt =
    values['expires-in'] !== undefined
      ? new Date(now + parseExpiresIn(values['expires-in'])).toISOString()
      : values['expires-at'] !== undefined
        ? parseExpiresAt(values['expires-at'], now)
        : undefined;
  return {
    roles,
    ...(context.workspace !== undefined ? { workspace: context.workspace } : {}),
    ...(values.principal !== undefined ? { principal: values.principal } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    ...(values.description !== undefined ? { description: values.description } : {}),
    ...(values['act-on-behalf'] ? { actOnBehalf: true } : {}),
  };
}

function describeIssued(issued: IssuedToken): string {
  const rows = [
    ['principal', issued.principal],
    ['workspace', issued.workspace],
    ['roles', issued.roles.join(', ')],
    ['expires', shortTime(issued.expiresAt, 'never')],
  ];
  if (issued.description) rows.push(['description', issued.description]);
  if (issued.actOnBehalf) rows.push(['on behalf', 'may act on behalf of others']);
  const indented = formatTable(rows).replace(/^(?=.)/gm, '  ');
  return `Issued token ${issued.tokenId}\n${indented}`;
}

/** The secret alone on stdout, so `$(runlog token issue ... --quiet)` captures it and nothing else. */
const issueCommand: Command = async (context, values) => {
  const issued = await issueToken(context.access, issueRequest(context, values));
  if (!values.quiet) context.stderr.write(describeIssued(issued));
  context.stdout.write(`${issued.token}\n`);
  if (!values.quiet) {
    context.stderr.write(
      'The secret above is shown this once and cannot be shown again: store it now (the server keeps only a hash).\n',
    );
  }
};

function tokenRows(tokens: readonly TokenView[]): string[][] {
  return tokens.map((token) => [
    token.tokenId,
    token.principal,
    token.workspace,
    token.roles.join(','),
    shortTime(token.issuedAt, '-'),
    shortTime(token.expiresAt, 'never'),
    shortTime(token.revokedAt, '-'),
  ]);
}

const listCommand: Command = async (context, values) => {
  const tokens = await listTokens(
    context.access,
    context.workspace !== undefined ? { workspace: context.workspace } : {},
  );
  if (values.json) {
    context.stdout.write(json(tokens));
    return;
  }
  if (tokens.length === 0) {
    const where = context.workspace !== undefined ? ` in workspace ${context.workspace}` : '';
    context.stderr.write(`no tokens${where} that this credential may see\n`);
    return;
  }
  const header = ['ID', 'PRINCIPAL', 'WORKSPACE', 'ROLES', 'ISSUED', 'EXPIRES', 'REVOKED'];
  context.stdout.write(formatTable([header, ...tokenRows(tokens)]));
};

const revokeCommand: Command = async (context, values, args) => {
  const tokenId = parseTokenId(args[0]);
  const revoked = await revokeToken(context.access, tokenId, values.reason);
  const when = shortTime(revoked.revokedAt, 'an unknown time');
  context.stdout.write(`Revoked token ${revoked.tokenId} (at ${when} by ${revoked.revokedBy})\n`);
};

export const COMMANDS: Record<CommandName, Command> = {
  whoami: whoamiCommand,
  'token issue': issueCommand,
  'token list': listCommand,
  'token revoke': revokeCommand,
};
