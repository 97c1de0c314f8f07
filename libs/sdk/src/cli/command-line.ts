import { parseArgs } from 'node:util';
import { quoted, UsageError } from './option-values';

export type CommandName = 'whoami' | 'token issue' | 'token list' | 'token revoke';

/** What `--help` describes: a command, the `token` group, or everything. */
export type HelpTopic = CommandName | 'token' | undefined;

const GLOBAL_OPTIONS = ['url', 'token', 'workspace', 'help'] as const;

/** Every option of every command, so one parse finds the command wherever the options sit around it. */
const ALL_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  workspace: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  roles: { type: 'string' },
  principal: { type: 'string' },
  'expires-in': { type: 'string' },
  'expires-at': { type: 'string' },
  description: { type: 'string' },
  'act-on-behalf': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  reason: { type: 'string' },
} as const;

export type OptionName = keyof typeof ALL_OPTIONS;

const COMMAND_OPTIONS: Record<CommandName, readonly OptionName[]> = {
  whoami: ['json'],
  'token issue': ['roles', 'principal', 'expires-in', 'expires-at', 'description', 'act-on-behalf', 'quiet'],
  'token list': ['json'],
  'token revoke': ['reason'],
};

const COMMAND_ARGUMENTS: Record<CommandName, readonly string[]> = {
  whoami: [],
  'token issue': [],
  'token list': [],
  'token revoke': ['<tokenId>'],
};

export type OptionValues = ReturnType<typeof parseAll>['values'];

export type CommandLine =
  | { help: true; topic: HelpTopic }
  | { help: false; command: CommandName; values: OptionValues; args: string[] };

function parseAll(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: ALL_OPTIONS, strict: true, allowPositionals: true });
}

/** Node's parseArgs errors, reworded to one line that names the option. */
function usageErrorOf(error: unknown): Error {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  // Node quotes the option as '--roles <value>' or, with a short form, '-q, --quiet': the long name is named.
  const words = (/'([^']+)'/.exec(message)?.[1] ?? '').split(/[ ,]+/);
  const option = words.find((word) => word.startsWith('--')) ?? (words[0] || 'an option');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
    return new UsageError(`unknown option ${option} (see --help)`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (message.includes('does not take an argument')) return new UsageError(`${option} takes no value`);
    if (message.includes('ambiguous')) {
      return new UsageError(`${option} needs a value (write ${option}=-… for one starting with -)`);
    }
    return new UsageError(`${option} needs a value`);
  }
  return error instanceof Error ? error : new Error(message);
}

/** The command named by the leading positionals, and the arguments after it. */
function commandOf(positionals: string[]): { topic: HelpTopic; command?: CommandName; args: string[] } {
  const [first, second, ...rest] = positionals;
  if (first === 'whoami') return { topic: 'whoami', command: 'whoami', args: positionals.slice(1) };
  if (first !== 'token') return { topic: undefined, args: positionals };
  const command = `token ${second}`;
  if (second !== undefined && command in COMMAND_OPTIONS) {
    return { topic: command as CommandName, command: command as CommandName, args: rest };
  }
  return { topic: 'token', args: positionals.slice(1) };
}

export function parseCommandLine(argv: readonly string[]): CommandLine {
  let parsed: ReturnType<typeof parseAll>;
  try {
    parsed = parseAll(argv);
  } catch (error) {
    throw usageErrorOf(error);
  }
  const { values, positionals } = parsed;
  const { topic, command, args } = commandOf(positionals);
  if (values.help) return { help: true, topic };
  if (command === undefined) {
    const group = topic === 'token' ? 'runlog token' : 'runlog';
    const given = topic === 'token' ? positionals[1] : positionals[0];
    if (given === undefined) throw new UsageError(`${group} needs a command (see ${group} --help)`);
    throw new UsageError(`unknown command ${quoted(given)} (see ${group} --help)`);
  }
  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[command]]);
  const stray = Object.keys(values).find((name) => !allowed.has(name));
  if (stray !== undefined) throw new UsageError(`--${stray} is not an option of runlog ${command}`);
  const expected = COMMAND_ARGUMENTS[command];
  if (args.length < expected.length) throw new UsageError(`runlog ${command} needs ${expected.join(' ')}`);
  if (args.length > expected.length) {
    throw new UsageError(`unexpected argument ${quoted(args[expected.length])} to runlog ${command}`);
  }
  return { help: false, command, values, args };
}
