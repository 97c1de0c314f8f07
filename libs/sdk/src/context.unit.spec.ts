import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureContext, type CommandRunner } from './context';

// The host's git config (signing, hooks, default branch) must not decide how the fixture repo is made.
const gitEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Runlog', '-c', 'user.email=runlog@example.com', ...args], {
    cwd,
    env: gitEnv,
    encoding: 'utf8',
  }).trim();
const sha256 = (content: string) => createHash('sha256').update(content).digest('hex');

const nvidiaSmiOnly =
  (stdout: string | null): CommandRunner =>
  async (command) =>
    command === 'nvidia-smi' && stdout !== null ? { stdout } : null;

describe('captureContext', () => {
  let repo: string;
  let outside: string;
  const lockfile = '{ "name": "train", "lockfileVersion": 3 }\n';

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'runlog-context-repo-'));
    outside = await mkdtemp(join(tmpdir(), 'runlog-context-plain-'));
    git(repo, 'init', '-q', '-b', 'main');
    await mkdir(join(repo, 'train'));
    await writeFile(join(repo, 'train', 'main.py'), 'print("epoch 1")\n');
    await writeFile(join(repo, 'package-lock.json'), lockfile);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'first');
    git(repo, 'remote', 'add', 'origin', 'https://user:secret@example.com/x.git');
  });

  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('records the commit, branch, remote without credentials, and the entry point relative to the repo', async () => {
    const context = await captureContext({ cwd: repo, entryPoint: join(repo, 'train', 'main.py') });

    expect(context.code).toEqual({
      commit: git(repo, 'rev-parse', 'HEAD'),
      branch: 'main',
      remote: 'https://example.com/x.git',
      dirty: false,
      entryPoint: 'train/main.py',
    });
    expect(JSON.stringify(context)).not.toContain('secret');
  });

  it('digests the diff only when tracked files changed, and the digest follows the diff', async () => {
    const script = join(repo, 'train', 'main.py');
    await writeFile(join(repo, 'untracked.log'), 'not code\n');
    expect((await captureContext({ cwd: repo })).code).toMatchObject({ dirty: false });
    expect((await captureContext({ cwd: repo })).code?.diffDigest).toBeUndefined();

    await writeFile(script, 'print("epoch 2")\n');
    const first = (await captureContext({ cwd: join(repo, 'train') })).code;
    expect(first).toMatchObject({ dirty: true, diffDigest: sha256(git(repo, 'diff', 'HEAD') + '\n') });

    await writeFile(script, 'print("epoch 3")\n');
    const second = (await captureContext({ cwd: repo })).code;
    expect(second?.dirty).toBe(true);
    expect(second?.diffDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(second?.diffDigest).not.toBe(first?.diffDigest);

    git(repo, 'checkout', '-q', '--', '.');
  });

  it('leaves the branch out on a detached HEAD', async () => {
    git(repo, 'checkout', '-q', '--detach');
    try {
      const code = (await captureContext({ cwd: repo })).code;
      expect(code?.commit).toBe(git(repo, 'rev-parse', 'HEAD'));
      expect(code).not.toHaveProperty('branch');
    } finally {
      git(repo, 'checkout', '-q', 'main');
    }
  });

  it('digests the lockfile at the repo root and describes the runtime', async () => {
    const { environment } = await captureContext({ cwd: join(repo, 'train'), env: {} });

    expect(environment).toEqual({
      runtime: 'node',
      runtimeVersion: process.version,
      platform: process.platform,
      arch: process.arch,
      lockfileDigest: sha256(lockfile),
    });
  });

  it('takes the container image digest from RUNLOG_CONTAINER_IMAGE_DIGEST', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const { environment } = await captureContext({
      cwd: outside,
      env: { RUNLOG_CONTAINER_IMAGE_DIGEST: digest },
    });

    expect(environment?.containerImageDigest).toBe(digest);
    expect(environment).not.toHaveProperty('lockfileDigest');
  });

  it('outside a git repo keeps only the entry point, as given', async () => {
    const context = await captureContext({ cwd: outside, entryPoint: 'scripts/train.js' });

    expect(context.code).toEqual({ entryPoint: 'scripts/train.js' });
  });

  it('reads GPUs from nvidia-smi, in bytes', async () => {
    const stdout = 'NVIDIA A100-SXM4-40GB, 40960\nNVIDIA GeForce RTX 4090, [N/A]\n';
    const { hardware } = await captureContext({ cwd: outside, exec: nvidiaSmiOnly(stdout) });

    expect(hardware?.gpus).toEqual([
      { model: 'NVIDIA A100-SXM4-40GB', memoryBytes: 40960 * 1024 * 1024 },
      { model: 'NVIDIA GeForce RTX 4090' },
    ]);
    expect(hardware?.cpuCount).toBeGreaterThan(0);
    expect(hardware?.memoryBytes).toBeGreaterThan(0);
  });

  it('has no GPUs and no code but the entry point when no command answers', async () => {
    const context = await captureContext({ cwd: repo, entryPoint: 'train.js', exec: nvidiaSmiOnly(null) });

    expect(context.hardware?.gpus).toEqual([]);
    expect(context.code).toEqual({ entryPoint: 'train.js' });
  });

  it('passes seeds through, and never throws when the runner does', async () => {
    const throwing: CommandRunner = (command) => {
      if (command === 'git') throw new Error('spawn failed');
      return Promise.reject(new Error('no driver'));
    };
    const context = await captureContext({ cwd: repo, exec: throwing, seeds: { torch: 42, numpy: 'abc' } });

    expect(context.seeds).toEqual({ torch: 42, numpy: 'abc' });
    expect(context.hardware?.gpus).toEqual([]);
    expect(context.environment?.runtime).toBe('node');
    expect(context.host).toBeTruthy();
  });

  it('bounds strings and drops seeds the server would refuse', async () => {
    const long = 'x'.repeat(5000);
    const context = await captureContext({
      cwd: outside,
      entryPoint: long,
      exec: nvidiaSmiOnly(`${long}, 1024\n`),
      seeds: { ok: long, 'bad\nkey': 1, nan: NaN },
    });

    expect(context.code?.entryPoint).toHaveLength(1024);
    expect(context.hardware?.gpus?.[0].model).toHaveLength(256);
    expect(context.seeds).toEqual({ ok: 'x'.repeat(256) });
  });
});
