/**
 * Collects the keys asked for in one turn of the event loop and loads them with one call, as DataLoader does:
 * GraphQL resolves a field of every row of a list before it awaits any, so `children` of 1,000 runs becomes one
 * query instead of 1,000. Nothing is cached across turns; every answer is as fresh as the query behind it.
 */
export class Batcher<K, V> {
  private pending = new Map<K, { resolve: (value: V) => void; reject: (error: unknown) => void }[]>();

  constructor(
    private readonly loadMany: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: V,
    private readonly maxKeys = 1_000,
  ) {}

  load(key: K): Promise<V> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) setImmediate(() => void this.flush());
      const waiters = this.pending.get(key) ?? [];
      waiters.push({ resolve, reject });
      this.pending.set(key, waiters);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    for (let from = 0; from < keys.length; from += this.maxKeys) {
      const slice = keys.slice(from, from + this.maxKeys);
      try {
        const found = await this.loadMany(slice);
        for (const key of slice)
          for (const waiter of batch.get(key)!) waiter.resolve(found.get(key) ?? this.missing);
      } catch (error) {
        for (const key of slice) for (const waiter of batch.get(key)!) waiter.reject(error);
      }
    }
  }
}
