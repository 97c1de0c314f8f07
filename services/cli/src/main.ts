#!/usr/bin/env node
import { runCli } from '../../../libs/sdk/src/cli/run-cli';
import { runOperatorCli } from './operator-cli';

// The `runlog` command: the operator's commands (audit reads the log itself, replay drives the projector), else the API client's (token,
// whoami). exitCode, not process.exit(): a piped stdout is written out before the exit.
const argv = process.argv.slice(2);
const dependencies = { env: process.env, stdout: process.stdout, stderr: process.stderr };
const operator = argv[0] === 'audit' || argv[0] === 'replay' || argv[0] === 'import';
const run = operator ? runOperatorCli(argv, dependencies) : runCli(argv, dependencies);
void run.then((code) => {
  process.exitCode = code;
});
