import {
  AUDIT_EXPORT_USAGE,
  AUDIT_VERIFY_USAGE,
  auditExport,
  auditVerify,
  OperatorUsageError,
  type OperatorCliDependencies,
} from './audit-verify';
import { importMlflow, IMPORT_MLFLOW_USAGE } from './import/import-mlflow';
import { importNeptune, IMPORT_NEPTUNE_USAGE } from './import/import-neptune';
import { importTensorboard, IMPORT_TENSORBOARD_USAGE } from './import/import-tensorboard';
import { replay, REPLAY_USAGE } from './replay';

const COMMANDS: Record<string, { usage: string; run: typeof auditVerify }> = {
  'audit verify': { usage: AUDIT_VERIFY_USAGE, run: auditVerify },
  'audit export': { usage: AUDIT_EXPORT_USAGE, run: auditExport },
  replay: { usage: REPLAY_USAGE, run: replay },
  'import mlflow': { usage: IMPORT_MLFLOW_USAGE, run: importMlflow },
  'import tensorboard': { usage: IMPORT_TENSORBOARD_USAGE, run: importTensorboard },
  'import neptune': { usage: IMPORT_NEPTUNE_USAGE, run: importNeptune },
};

/** Runs one operator command line (`audit verify …`); resolves to the exit code and never throws. */
export async function runOperatorCli(
  argv: readonly string[],
  dependencies: OperatorCliDependencies,
): Promise<number> {
  const words = argv[0] === 'audit' || argv[0] === 'import' ? 2 : 1;
  const name = argv.slice(0, words).join(' ');
  const command = COMMANDS[name];
  const rest = argv.slice(words);
  if (!command || rest.includes('--help') || rest.includes('-h')) {
    const known = Object.values(COMMANDS).map(({ usage }) => usage);
    (command ? dependencies.stdout : dependencies.stderr).write(
      command ? command.usage : `runlog: unknown command "${name}"\n\n${known.join('\n')}`,
    );
    return command ? 0 : 2;
  }
  try {
    return await command.run(rest, dependencies);
  } catch (error) {
    if (error instanceof OperatorUsageError) {
      dependencies.stderr.write(`runlog ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    dependencies.stderr.write(`runlog ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
