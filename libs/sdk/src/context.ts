import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RunContext } from '../../events/src/run.events';

/**
 * What a run was made from and on: enough to tell two runs' code, dependencies and machines apart. The server's own
 * type (a type-only import: the SDK still loads nothing but Node). `environment.containerImageDigest` comes from
 * RUNLOG_CONTAINER_IMAGE_DIGEST: nothing inside a container reliably names the image it was started from, so set it
 * where the image is known (an `ENV` in the Dockerfile's build, or the Kubernetes downward API).
 */
export type { RunContext } from '../../events/src/run.events';

/** Resolves with the command's stdout, or null when the command is missing, fails or runs out of time. */
export type CommandRunner = (
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number },
) => Promise<{ stdout: string } | null>;

export interface CaptureContextOptions {
  cwd?: string;
  /** Defaults to the script node runs (`process.argv[1]`). */
  entryPoint?: string;
  seeds?: Record<string, number | string>;
  exec?: CommandRunner;
  env?: NodeJS.ProcessEnv;
}

const TIMEOUT_MS = 2_000;
const MIB = 1024 * 1024;
// The first found stands for the dependencies: Node's before Python's, as this is a Node process.
const LOCKS = 'package-lock.json pnpm-lock.yaml yarn.lock requirements.txt poetry.lock uv.lock'.split(' ');
// Optional locks off: status and diff would otherwise refresh the index and could collide with the user's own git.
const GIT = ['--no-optional-locks'];
// The digest must not change with a user's diff settings (prefixes, algorithm, colour, tools, diff.relative).
const DIFF = [
  ...['-c', 'diff.noprefix=false', '-c', 'diff.mnemonicPrefix=false', '-c', 'diff.relative=false', 'diff'],
  ...['--no-color', '--no-ext-diff', '--no-textconv', '--diff-algorithm=myers', 'HEAD'],
];

/** execFile with a hard deadline: a child that ignores the kill (or leaves a grandchild on the pipe) still ends it. */
export const defaultCommandRunner: CommandRunner = (command, args, { cwd, timeoutMs }) =>
  new Promise((resolve) => {
    const deadline = setTimeout(() => resolve(null), timeoutMs + 500);
    deadline.unref();
    const options = { cwd, timeout: timeoutMs, killSignal: 'SIGKILL' as const, maxBuffer: 64 * MIB };
    execFile(command, args, options, (error, stdout) => {
      clearTimeout(deadline);
      resolve(error ? null : { stdout });
    });
  });

/** The server bounds every string; a longer value would get the whole context refused. */
const bounded = (value: string, max = 256): string => value.slice(0, max);
const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Credentials in a remote would end up in everyone's view of the run: https tokens sit in the user part too. */
function stripCredentials(remote: string): string {
  return remote
    .replace(/^(https?:\/\/)[^/?#]*@/i, '$1')
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#:@]*):[^/?#]*@/i, '$1@');
}

/**
 * Records the code, environment, hardware, seeds, user and host of the current process. Never throws; every
 * command runs at once with a ~2 s deadline, so it finishes within a few seconds whatever the machine has.
 */
export async function captureContext(options: CaptureContextOptions = {}): Promise<RunContext> {
  const cwd = options.cwd ?? process.cwd();
  const exec = options.exec ?? defaultCommandRunner;
  const run = (command: string, args: string[]): Promise<string | null> =>
    Promise.resolve()
      .then(() => exec(command, args, { cwd, timeoutMs: TIMEOUT_MS }))
      .then((result) => (typeof result?.stdout === 'string' ? result.stdout : null))
      .catch(() => null);
  const git = (...args: string[]) => run('git', [...GIT, ...args]);
  const [root, commit, branch, remote, status, diff, gpus] = await Promise.all([
    git('rev-parse', '--show-toplevel'),
    git('rev-parse', 'HEAD'),
    git('rev-parse', '--abbrev-ref', 'HEAD'),
    git('config', '--get', 'remote.origin.url'),
    git('status', '--porcelain', '--untracked-files=no'),
    git(...DIFF),
    run('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader,nounits']),
  ]);
  const repo = root?.trim() ? path.resolve(root.trim()) : null;
  const head = commit?.trim() ?? '';
  const code: NonNullable<RunContext['code']> = {};
  if (repo && /^[0-9a-f]{7,64}$/.test(head)) code.commit = head;
  if (repo && branch?.trim() && branch.trim() !== 'HEAD') code.branch = bounded(branch.trim());
  if (repo && remote?.trim()) code.remote = bounded(stripCredentials(remote.trim()), 1024);
  // Untracked files are left out: build outputs and logs would make nearly every run dirty.
  if (repo && status !== null) code.dirty = status.trim() !== '';
  if (code.dirty && diff !== null) code.diffDigest = sha256(diff);
  const entryPoint = await relativeEntryPoint(options.entryPoint ?? process.argv[1], cwd, repo);
  if (entryPoint) code.entryPoint = bounded(entryPoint, 1024);

  const lockfileDigest = await digestFirst(LOCKS.map((name) => path.join(repo ?? cwd, name)));
  const image = attempt(() => (options.env ?? process.env).RUNLOG_CONTAINER_IMAGE_DIGEST?.trim());
  const cpus = attempt(() => os.cpus()) ?? [];
  const environment: NonNullable<RunContext['environment']> = {
    runtime: 'node',
    runtimeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
  };
  if (lockfileDigest) environment.lockfileDigest = lockfileDigest;
  if (image) environment.containerImageDigest = bounded(image);
  const context: RunContext = {
    ...(Object.keys(code).length > 0 && { code }),
    environment,
    hardware: {
      cpuModel: bounded(cpus[0]?.model.trim() ?? ''),
      // The machine's cores, not this process's share: os.cpus() comes back empty on a few platforms.
      cpuCount: cpus.length || (attempt(() => os.availableParallelism()) ?? 0),
      memoryBytes: attempt(() => os.totalmem()) ?? 0,
      gpus: parseGpus(gpus ?? ''),
    },
  };
  if (options.seeds) context.seeds = boundedSeeds(options.seeds);
  // userInfo throws for a uid with no passwd entry, as in many containers.
  const user = attempt(() => os.userInfo().username);
  if (user) context.user = bounded(user);
  const host = attempt(() => os.hostname());
  if (host) context.host = bounded(host);
  return context;
}

/** A failing platform call leaves its field out: a run must never fail for its metadata. */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

async function relativeEntryPoint(entry: string | undefined, cwd: string, repo: string | null) {
  if (!entry || !repo) return entry;
  const absolute = path.resolve(cwd, entry);
  // git names the repo by its real path (/private/tmp on macOS); the script may be reached through a symlink.
  const relative = path.relative(repo, await realpath(absolute).catch(() => absolute));
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) return entry;
  return relative.split(path.sep).join('/');
}

async function digestFirst(files: string[]): Promise<string | undefined> {
  for (const file of files) {
    const content = await readFile(file).catch(() => null);
    if (content) return sha256(content);
  }
  return undefined;
}

/** `NVIDIA A100-SXM4-40GB, 40960` per line (MiB); a name may hold commas, so the memory is after the last one. */
function parseGpus(csv: string): { model: string; memoryBytes?: number }[] {
  const lines = csv.split('\n').filter((line) => line.trim());
  return lines.slice(0, 64).map((line) => {
    const comma = line.lastIndexOf(',');
    const model = bounded((comma < 0 ? line : line.slice(0, comma)).trim());
    const mib = comma < 0 ? NaN : Number(line.slice(comma + 1).trim());
    return Number.isFinite(mib) && mib >= 0 ? { model, memoryBytes: Math.round(mib * MIB) } : { model };
  });
}

/** The server takes at most 100 seeds, keyed like params, finite numbers or strings: the rest is dropped. */
function boundedSeeds(seeds: Record<string, number | string>): Record<string, number | string> {
  const valid = ([key, value]: [string, unknown]) =>
    /^[A-Za-z0-9_\-./: ]{1,250}$/.test(key) && (typeof value === 'string' || Number.isFinite(value));
  const kept = Object.entries(seeds).filter(valid).slice(0, 100);
  return Object.fromEntries(
    kept.map(([key, value]) => [key, typeof value === 'string' ? bounded(value) : value]),
  );
}
