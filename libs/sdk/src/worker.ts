/*
 * Distributed training: the processes of one job (ranks, nodes) log into one run, each batch labelled with the
 * process' worker, so the server can draw a series per worker or aggregate the workers at each step.
 *
 * The label is, in this order: the client's `worker` option; else the `RANK` environment variable (the global rank
 * torchrun, torch.distributed, DeepSpeed and Accelerate set); else `LOCAL_RANK` (launchers that set only that, on
 * one node); else none, and the server files the points under the default worker (''). A rank is used as it is
 * (`"3"`, not `"rank-3"`): the label is what the launcher's logs call the process. `worker: null` turns the label
 * off even where a launcher set RANK.
 */

/** What the server accepts as a worker label: 1–64 of A–Z a–z 0–9 _ . : - (ingest refuses anything else, 400). */
export const WORKER_LABEL_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The environment variables a rank is read from, in order. */
export const RANK_VARIABLES = ['RANK', 'LOCAL_RANK'] as const;

/**
 * The worker label of this process' batches, or undefined for none. An explicit label that the server would
 * refuse throws here, at once, rather than on every batch; a rank variable that is no label (empty, or set by
 * something other than a launcher) is passed over, so a training job never fails over its environment.
 */
export function resolveWorker(
  option: string | null | undefined,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  if (option === null) return undefined;
  if (option !== undefined) {
    if (!WORKER_LABEL_PATTERN.test(option)) {
      throw new TypeError(`worker must be 1–64 of A-Z a-z 0-9 _ . : - (got ${JSON.stringify(option)})`);
    }
    return option;
  }
  for (const name of RANK_VARIABLES) {
    const value = env[name]?.trim();
    if (value !== undefined && WORKER_LABEL_PATTERN.test(value)) return value;
  }
  return undefined;
}

/** The batch body's `worker` field: left out for the default worker, as the server stores it. */
export function workerField(worker: string | undefined): { worker?: string } {
  return worker === undefined ? {} : { worker };
}
