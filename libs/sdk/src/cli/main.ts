#!/usr/bin/env node
import { runCli } from './run-cli';

// exitCode, not process.exit(): a piped stdout (TOKEN=$(runlog token issue ...)) is written out before the exit.
void runCli(process.argv.slice(2), { env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
);
