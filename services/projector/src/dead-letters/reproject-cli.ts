/**
 * `npm run deadletters:reproject [base URL]`: asks the running projector to re-project every open dead letter
 * (after a fix is deployed) and prints each outcome as it comes. The base URL defaults to RUNLOG_URL, then
 * http://127.0.0.1:8080. Exits 1 when a record still fails or the run stopped.
 */
interface Line {
  done?: boolean;
  error?: string;
  resolved?: number;
  stillFailing?: number;
  outcome?: 'resolved' | 'still_failing';
  topic?: string;
  partition?: number;
  offset?: number;
  tables?: string[];
  reason?: string;
}

function describe(line: Line): string {
  if (line.done === false) return `stopped: ${line.error}`;
  if (line.done) return `done: ${line.resolved} resolved, ${line.stillFailing} still failing`;
  const where = `${line.topic}/${line.partition}@${line.offset}`;
  return line.outcome === 'resolved'
    ? `resolved       ${where} → ${line.tables?.join(', ') || '(nothing was missing)'}`
    : `still failing  ${where}: ${line.reason}: ${line.error}`;
}

async function main(): Promise<number> {
  const base = (process.argv[2] ?? process.env.RUNLOG_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const response = await fetch(`${base}/admin/dead-letters/reproject`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!response.ok || !response.body) {
    console.error(
      `${base}: ${response.status} ${await response.text()} (is this a process with the projector role?)`,
    );
    return 1;
  }
  let failed = false;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as Line;
      buffered = buffered.slice(newline + 1);
      failed ||= line.outcome === 'still_failing' || line.done === false;
      console.log(describe(line));
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
