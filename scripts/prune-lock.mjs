#!/usr/bin/env node
// The registry this project is built against serves some packages' Linux x64 builds but not every platform's
// (e.g. @chdb/lib-darwin-arm64, @swc/core-*). `npm install` then leaves those optional edges in package-lock.json
// without an entry, and `npm ci` refuses the lock as out of sync. This drops the optional edges that have no entry,
// so `npm ci` works. Run it after every `npm install` that changes the lock: `npm run lock:prune`.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const present = new Set(
  Object.keys(lock.packages)
    .filter(Boolean)
    .map((key) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)),
);
const dropped = [];
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (!present.has(name)) {
      delete entry.optionalDependencies[name];
      dropped.push(`${key || '(root)'} → ${name}`);
    }
  }
}
writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
console.log(
  dropped.length
    ? `dropped ${dropped.length} unavailable optional edges:\n  ${dropped.join('\n  ')}`
    : 'lock already clean',
);
