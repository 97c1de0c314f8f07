#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyBundle } from './bundle';

const USAGE = `runlog-verify <bundle folder> [--key <public key PEM file>] [--json]

Checks an audit bundle written by \`runlog audit export\`, offline and with nothing of Runlog but this verifier:
every event's hash, every stream's chain, every partition's Merkle tree against every signed checkpoint.
--key pins the public key you were given out of band; without it the bundle's own key is used, which proves only
that the bundle is consistent with itself. Exit code: 0 verified, 1 a finding, 2 bad command line or bundle.
`;

async function main(argv: string[]): Promise<number> {
  let folder: string;
  let keyFile: string | undefined;
  let json = false;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { key: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new Error('name one bundle folder');
    folder = positionals[0];
    keyFile = values.key;
    json = values.json ?? false;
  } catch (error) {
    process.stderr.write(`runlog-verify: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let verdict;
  try {
    verdict = await verifyBundle(folder, keyFile === undefined ? undefined : readFileSync(keyFile, 'utf8'));
  } catch (error) {
    process.stderr.write(`runlog-verify: ${(error as Error).message}\n`);
    return 2;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
  } else {
    const key = verdict.keyId
      ? `key ${verdict.keyId}${keyFile ? ' (pinned)' : ' (the bundle’s own)'}`
      : 'no key';
    process.stdout.write(
      verdict.ok
        ? `Verified: ${verdict.events} events, ${verdict.checkpointsVerified} signed checkpoints, ${key}` +
            (verdict.unsignedTail > 0
              ? ` (${verdict.unsignedTail} events recorded after the last checkpoints)`
              : '') +
            '.\n'
        : `NOT verified (${verdict.findings.length} findings, ${key}):\n` +
            verdict.findings.map((f) => `  ${f.kind} at ${f.where}: ${f.detail}\n`).join(''),
    );
  }
  return verdict.ok ? 0 : 1;
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
