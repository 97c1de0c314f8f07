/**
 * The positions inside consistency tokens, merged on the client: a token is base64url JSON of
 * [topic, partition, offset] triples (the server's format, libs/log/src/consistency-token.ts). Keeping the latest
 * offset per topic partition over every answer covers every write answered so far, whichever request made it
 * (a metrics batch to a stale run also writes its resume to the lifecycle topic).
 */
export class ConsistencyPositions {
  private readonly latest = new Map<string, [string, number, number]>();
  /** Tokens the client could not read (a newer server's format): sent as they are, the latest few. */
  private readonly opaque: string[] = [];

  add(token: string): void {
    const positions = decodePositions(token);
    if (positions === null) {
      this.opaque.push(token);
      if (this.opaque.length > 4) this.opaque.shift();
      return;
    }
    for (const [topic, partition, offset] of positions) {
      const key = `${topic}\u0000${partition}`;
      const seen = this.latest.get(key);
      if (!seen || seen[2] < offset) this.latest.set(key, [topic, partition, offset]);
    }
  }

  /** One header value: the merged token, then any unreadable ones, comma-separated; undefined when none. */
  header(): string | undefined {
    const tokens = [...this.opaque];
    if (this.latest.size > 0) {
      tokens.unshift(Buffer.from(JSON.stringify([...this.latest.values()])).toString('base64url'));
    }
    return tokens.length === 0 ? undefined : tokens.join(', ');
  }
}

function decodePositions(token: string): [string, number, number][] | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const valid =
      Array.isArray(parsed) &&
      parsed.every(
        (entry) =>
          Array.isArray(entry) &&
          entry.length === 3 &&
          typeof entry[0] === 'string' &&
          Number.isSafeInteger(entry[1]) &&
          Number.isSafeInteger(entry[2]),
      );
    return valid ? (parsed as [string, number, number][]) : null;
  } catch {
    return null;
  }
}
