import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonVenv, type PythonVenv } from './mlflow-python';
import { repoRoot } from './runlog-process';

const run = promisify(execFile);

/** The Python SDK's package and its pytest suite. */
export const PYTHON_SDK_DIR = join(repoRoot(), 'sdks', 'python');

/**
 * What the Python SDK's suite runs with in `npm test`, pinned: its one dependency, the test and lint tools, and
 * Keras 3 on JAX for the Keras hook (about 40 s to install once per machine).
 */
export const PYTHON_SDK_TEST_VENV: PythonVenv = {
  name: 'python-sdk-test-3',
  requirements: [
    'urllib3==2.5.0',
    'psutil==7.2.2',
    'numpy==2.4.6',
    'pytest==9.2.0',
    'hypothesis==6.170.27',
    'mypy==2.4.1',
    'ruff==0.17.6',
    'vermin==1.9.2',
    'build==1.6.1',
    'hatchling==1.27.0',
    'keras==3.15.1',
    'jax==0.10.2',
    'jaxlib==0.10.2',
  ],
};

/**
 * The same with torch, Lightning and Transformers, for `npm run test:python-hooks`. torch's Linux wheels on PyPI
 * bring CUDA's libraries (2.9 GB downloaded, 5.6 GB installed: 164 s on a fresh machine), which put `.ci/run` past
 * its 30 minutes there, so the Lightning and Transformers hooks run in that command, not in `npm test`.
 */
export const PYTHON_SDK_TORCH_VENV: PythonVenv = {
  name: 'python-sdk-torch-1',
  requirements: [
    ...PYTHON_SDK_TEST_VENV.requirements,
    'torch==2.15.0',
    'lightning==2.6.6',
    'transformers==5.25.0',
    'accelerate==1.16.0',
  ],
};

export const ensurePythonSdkVenv = (venv: PythonVenv = PYTHON_SDK_TEST_VENV) => ensurePythonVenv(venv);

/** `exit 0`, or the exit and the output's end: a failing suite's report shows in jest's. */
export const outcome = ({ code, output }: { code: number | null; output: string }) =>
  code === 0 ? 'exit 0' : `exit ${code}\n${output}`;

/** Runs the SDK's pytest tests of the given markers; the server tests need RUNLOG_URL in `env`. */
export const runPytest = (python: string, site: string, markers: string, env: Record<string, string> = {}) =>
  runIn(
    python,
    ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-m', markers, '-W', 'ignore::DeprecationWarning'],
    { PYTHONPATH: site, ...env },
  );

/**
 * Builds the wheel from sdks/python (no network: the venv holds the build backend) and installs it, without its
 * dependency (the venv has it), into a folder of its own: the suites import the package as a user gets it.
 */
export async function installWheel(python: string): Promise<{ wheel: string; site: string }> {
  const out = mkdtempSync(join(tmpdir(), 'runlog-wheel-'));
  await run(python, ['-m', 'build', '--wheel', '--no-isolation', '--outdir', out, PYTHON_SDK_DIR], {
    maxBuffer: 16 << 20,
  });
  const { stdout } = await run('ls', [out]);
  const wheel = join(out, stdout.trim().split('\n')[0]);
  const site = join(out, 'site');
  await run(python, ['-m', 'pip', 'install', '--quiet', '--no-deps', '--target', site, wheel]);
  return { wheel, site };
}

/** Runs a command of the venv in sdks/python; resolves with its exit code and output (both streams, last 20 KB). */
export function runIn(
  python: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, args, {
      cwd: PYTHON_SDK_DIR,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', KERAS_BACKEND: 'jax', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => resolve({ code, output }));
  });
}
