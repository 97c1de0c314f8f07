import {
  ensurePythonSdkVenv,
  installWheel,
  outcome,
  PYTHON_SDK_TORCH_VENV,
  runPytest,
} from '../support/python-sdk';
import { useRunlog } from '../support/runlog-process';

/**
 * `npm run test:python-hooks`, not `npm test`: torch's CUDA wheels (2.9 GB) would put CI past its budget on a
 * fresh machine. The Lightning logger and the Transformers callback on tiny models, against a real server, each run
 * read back through GraphQL by the pytest tests themselves (sdks/python/tests/test_hooks_torch.py).
 */
describe('the Python SDK hooks that need torch', () => {
  const runlog = useRunlog();
  let python = '';
  let site = '';

  beforeAll(async () => {
    python = await ensurePythonSdkVenv(PYTHON_SDK_TORCH_VENV);
    ({ site } = await installWheel(python));
  }, 20 * 60_000);

  it(
    'logs through the Lightning logger and the Transformers callback on tiny models',
    async () => {
      const result = await runPytest(python, site, 'torch', { RUNLOG_URL: runlog.base });
      expect(outcome(result)).toBe('exit 0');
      expect(result.output).toMatch(/\b3 passed/);
    },
    10 * 60_000,
  );
});
