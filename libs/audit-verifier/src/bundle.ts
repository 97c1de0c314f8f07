import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve, sep } from 'node:path';
import { publicKeyId, recomputeEventHash, verifyCheckpoint, type SignedCheckpoint } from './checkpoint';
import { eventLeaf } from './proofs';

/*
 * An audit bundle (docs/design/registry-and-audit.md): a folder a third party checks offline with this code alone.
 *   manifest.json                           { format: "runlog.audit-bundle/1", createdAt, publicKey (PEM),
 *                                             partitions: [{ topic, partition, events, file }], checkpoints: [file] }
 *   events/<topic>/<partition>.jsonl        every stored envelope of the partition, in log order, one per line
 *   checkpoints/<topic>/<partition>/<size>.json   the signed checkpoints
 */

export const BUNDLE_FORMAT = 'runlog.audit-bundle/1';

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  createdAt: string;
  publicKey: string | null;
  partitions: { topic: string; partition: number; events: number; file: string }[];
  checkpoints: string[];
}

export interface BundleFinding {
  kind:
    | 'hash_mismatch'
    | 'prev_hash_mismatch'
    | 'checkpoint_mismatch'
    | 'checkpoint_refused'
    | 'truncated'
    | 'count_mismatch'
    | 'unreadable'
    /** A partition with events and no verified checkpoint: nothing signed vouches for it. */
    | 'unsigned';
  where: string;
  detail: string;
}

export interface BundleVerdict {
  ok: boolean;
  /** Events after each partition's last verified checkpoint: recorded since it was signed, vouched for by none. */
  unsignedTail: number;
  keyId: string | null;
  events: number;
  checkpointsVerified: number;
  findings: BundleFinding[];
}

/** The root of a growing tree, kept as the roots of its perfect subtrees (RFC 9162 §2.1.1). */
class TreeRoot {
  private readonly stack: { height: number; hash: Buffer }[] = [];
  size = 0;

  add(leaf: Buffer): void {
    let node = { height: 0, hash: leaf };
    for (let top = this.stack.at(-1); top && top.height === node.height; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { height: node.height + 1, hash: join2(top.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  hex(): string {
    if (this.stack.length === 0) return createHash('sha256').digest('hex');
    return this.stack
      .slice(0, -1)
      .reduceRight((right, left) => join2(left.hash, right), this.stack[this.stack.length - 1].hash)
      .toString('hex');
  }
}

function join2(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0x01]))
    .update(left)
    .update(right)
    .digest();
}

/**
 * Checks a bundle, streaming each events file: every event's hash from its fields, every stream's chain, every partition's tree against every
 * checkpoint, and every checkpoint's signature with `trustedKey` (else the bundle's own key, which proves only that
 * the bundle is self-consistent: pin the key you were given out of band).
 */
/** A file the manifest names, which must lie inside the bundle. */
function inside(folder: string, file: string): string {
  const root = resolve(folder);
  const path = resolve(root, file);
  if (!path.startsWith(root + sep)) throw new Error(`the manifest names a file outside the bundle: ${file}`);
  return path;
}

export async function verifyBundle(folder: string, trustedKey?: KeyObject | string): Promise<BundleVerdict> {
  const findings: BundleFinding[] = [];
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as BundleManifest;
  if (manifest.format !== BUNDLE_FORMAT)
    throw new Error(`not a ${BUNDLE_FORMAT} bundle: ${String(manifest.format)}`);
  const keySource = trustedKey ?? manifest.publicKey;
  const key = keySource ? (typeof keySource === 'string' ? createPublicKey(keySource) : keySource) : null;
  if (trustedKey && manifest.publicKey && publicKeyId(manifest.publicKey) !== publicKeyId(trustedKey)) {
    findings.push({
      kind: 'checkpoint_refused',
      where: 'manifest.json',
      detail: 'the bundle names another key than the one trusted',
    });
  }

  const expected = new Map<string, { size: number; root: string; file: string }[]>();
  let checkpointsVerified = 0;
  for (const file of manifest.checkpoints ?? []) {
    const checkpoint = JSON.parse(readFileSync(inside(folder, file), 'utf8')) as SignedCheckpoint;
    const verdict = key ? verifyCheckpoint(checkpoint, key) : { ok: false as const, reason: 'no public key' };
    if (!verdict.ok) {
      findings.push({ kind: 'checkpoint_refused', where: file, detail: verdict.reason });
      continue;
    }
    checkpointsVerified++;
    const name = `${checkpoint.body.topic}/${checkpoint.body.partition}`;
    const list = expected.get(name) ?? [];
    list.push({ size: checkpoint.body.treeSize, root: checkpoint.body.rootHash, file });
    expected.set(name, list);
  }

  let events = 0;
  let unsignedTail = 0;
  const listed = new Set<string>();
  for (const part of manifest.partitions) {
    const name = `${part.topic}/${part.partition}`;
    listed.add(name);
    const path = inside(folder, part.file);
    if (!existsSync(path)) {
      findings.push({ kind: 'unreadable', where: part.file, detail: 'the file is missing' });
      continue;
    }
    const heads = new Map<string, { position: number; hash: string }>();
    const tree = new TreeRoot();
    const pending = [...(expected.get(name) ?? [])].sort((a, b) => a.size - b.size);
    const signedUpTo = pending.at(-1)?.size ?? 0;
    const compare = () => {
      while (pending.length > 0 && pending[0].size === tree.size) {
        const checkpoint = pending.shift()!;
        if (tree.hex() !== checkpoint.root) {
          findings.push({
            kind: 'checkpoint_mismatch',
            where: `${name} at ${checkpoint.size} events`,
            detail: `signed root ${checkpoint.root}, recomputed ${tree.hex()} (${checkpoint.file})`,
          });
        }
      }
    };
    compare();
    // Line by line: a partition's file may be far larger than memory.
    let lineNumber = -1;
    for await (const line of createInterface({
      input: createReadStream(path, 'utf8'),
      crlfDelay: Infinity,
    })) {
      lineNumber++;
      if (line.length === 0) continue;
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        findings.push({ kind: 'unreadable', where: `${part.file}:${lineNumber + 1}`, detail: 'not JSON' });
        continue;
      }
      const stream = String(event.stream);
      const previous = heads.get(stream);
      const position = previous ? previous.position + 1 : 0;
      const at = `${stream} position ${position} (${part.file}:${lineNumber + 1}, event ${String(event.id)})`;
      const prevExpected = previous?.hash ?? null;
      if ((event.prevHash ?? null) !== prevExpected) {
        findings.push({
          kind: 'prev_hash_mismatch',
          where: at,
          detail: `expected ${prevExpected}, found ${String(event.prevHash)}`,
        });
      }
      const recomputed = recomputeEventHash(event);
      if (recomputed !== event.hash) {
        findings.push({
          kind: 'hash_mismatch',
          where: at,
          detail: `fields hash to ${recomputed}, stored ${String(event.hash)}`,
        });
      }
      heads.set(stream, { position, hash: String(event.hash) });
      tree.add(eventLeaf(String(event.hash)));
      events++;
      compare();
    }
    if (tree.size !== part.events) {
      findings.push({
        kind: 'count_mismatch',
        where: part.file,
        detail: `the manifest lists ${part.events} events, the file holds ${tree.size}`,
      });
    }
    for (const checkpoint of pending) {
      findings.push({
        kind: 'truncated',
        where: name,
        detail: `signed at ${checkpoint.size} events, the bundle holds ${tree.size} (${checkpoint.file})`,
      });
    }
    if (tree.size > 0 && signedUpTo === 0) {
      findings.push({
        kind: 'unsigned',
        where: name,
        detail: `${tree.size} events and no verified checkpoint: recomputed hashes would pass unseen`,
      });
    } else if (tree.size > signedUpTo) {
      unsignedTail += tree.size - signedUpTo;
    }
  }
  for (const name of expected.keys()) {
    if (!listed.has(name))
      findings.push({ kind: 'truncated', where: name, detail: 'checkpointed, but absent from the bundle' });
  }
  return {
    ok: findings.length === 0,
    unsignedTail,
    keyId: key ? publicKeyId(key) : null,
    events,
    checkpointsVerified,
    findings,
  };
}
