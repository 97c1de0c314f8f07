/**
 * Batches of different topics are projected concurrently (shared); a re-projection runs alone (exclusive), so the
 * snapshot it rewrites is not overtaken by a batch built on the snapshot before it.
 */
export class BatchGate {
  private active = 0;
  private exclusive: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      if (this.active === 0) this.drained?.();
    }
  }

  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    while (this.exclusive) await this.exclusive;
    let release = (): void => undefined;
    this.exclusive = new Promise<void>((resolve) => (release = resolve));
    try {
      if (this.active > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      this.drained = null;
      return await work();
    } finally {
      this.exclusive = null;
      release();
    }
  }
}
