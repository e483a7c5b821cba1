import type { Clock } from '../../domain/clock.js';

/**
 * Long-polls waiting on a key (a registration, a printer): `wait` resolves when the key is
 * woken or the bound passes, whichever comes first. At most `max` waits are held; past that a
 * wait returns at once, so a flood of polls costs nothing but answers.
 */
export class Waiters {
  private readonly byKey = new Map<string, Set<() => void>>();
  private count = 0;

  constructor(
    private readonly clock: Clock,
    private readonly max: number,
  ) {}

  wait(key: string, ms: number): Promise<void> {
    if (ms <= 0 || this.count >= this.max) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.byKey.get(key) ?? new Set();
      this.byKey.set(key, set);
      this.count++;
      const done = (): void => {
        cancel();
        if (set.delete(done)) this.count--;
        if (set.size === 0) this.byKey.delete(key);
        resolve();
      };
      const cancel = this.clock.after(ms, done);
      set.add(done);
    });
  }

  wake(key: string): void {
    for (const done of [...(this.byKey.get(key) ?? [])]) done();
  }
}
