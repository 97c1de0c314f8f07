import { ensurePythonVenv, MLFLOW_CLIENT, MLFLOW_SERVER, type PythonVenv } from './mlflow-python';
import { PYTHON_SDK_TEST_VENV } from './python-sdk';

/** neptune-exporter writes with pyarrow from pandas frames: the same here, so the Parquet is the exporter's. */
export const PYARROW: PythonVenv = {
  name: 'pyarrow-21.0.0-pd3.1.1',
  requirements: ['pyarrow==21.0.0', 'pandas==3.1.1', 'numpy==2.4.6'],
};

/** The `tensorboard` package writes the event files, with its own writer and protos (no TensorFlow). */
export const TENSORBOARD: PythonVenv = { name: 'tensorboard-2.21.0', requirements: ['tensorboard==2.21.0'] };

/** Every venv `npm test` uses, in the order its suites first need them. */
export const TEST_PYTHON_VENVS: readonly PythonVenv[] = [
  MLFLOW_CLIENT,
  PYARROW,
  PYTHON_SDK_TEST_VENV,
  TENSORBOARD,
  MLFLOW_SERVER,
];

/**
 * Makes the test venvs that are missing, one after the other (the global setup runs this beside the MinIO build:
 * one downloads while the other compiles). A venv that fails to install is reported and left to the suite that
 * needs it, which tries again and fails with pip's message: one missing venv must not stop every other suite.
 */
export async function installTestPythonVenvs(
  venvs: readonly PythonVenv[] = TEST_PYTHON_VENVS,
): Promise<void> {
  for (const venv of venvs) {
    try {
      await ensurePythonVenv(venv);
    } catch (error) {
      process.stderr.write(`python venv ${venv.name} not installed now: ${(error as Error).message}\n`);
    }
  }
}
