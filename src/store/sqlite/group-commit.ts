import type Database from 'better-sqlite3';

/**
 * The most writes one group takes. A fuller queue is written at once, so no group holds the
 * event loop long and the queue never grows past this.
 */
export const GROUP_COMMIT_MAX = 256;

interface Pending {
  work: () => unknown;
  savepoint: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/**
 * Group commit. The writes handed over during one turn of the event loop run together, in the
 * order they were handed over, in one IMMEDIATE transaction written when the turn ends
 * (setImmediate) or as soon as GROUP_COMMIT_MAX are waiting. A commit costs far more than the
 * insert it makes durable (the WAL frames of every page it touched, and now and then a
 * checkpoint), so a few dozen reports arriving together pay for one.
 *
 * Each write sees every write before it in the group: a check made inside one (the counters
 * rule) is as good as in a transaction of its own. A write that throws is rolled back alone
 * (its own savepoint, or for `oneChange` work the failed statement, which SQLite undoes by
 * itself) and only its caller sees the error; the others still commit. If
 * the transaction itself fails (BEGIN, COMMIT, or an error that ends the transaction), every
 * caller of the group gets that error and nothing of the group is kept. Callers hear of their
 * write only after the COMMIT, so a device is never told about a report that is not stored.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private readonly inSavepoint: (work: () => unknown) => unknown;
  private readonly writeGroup: (jobs: Pending[], out: Outcome[]) => void;

  constructor(
    db: Database.Database,
    private readonly max = GROUP_COMMIT_MAX,
  ) {
    // better-sqlite3 runs a transaction function called inside a transaction as a savepoint.
    this.inSavepoint = db.transaction((work: () => unknown) => work());
    this.writeGroup = db.transaction((jobs: Pending[], out: Outcome[]) => {
      for (const job of jobs) {
        try {
          out.push({ ok: true, value: job.savepoint ? this.inSavepoint(job.work) : job.work() });
        } catch (err) {
          // Some errors (disk full, I/O) end the whole transaction: then nothing here holds.
          if (!db.inTransaction) throw err;
          out.push({ ok: false, err });
        }
      }
    }).immediate;
  }

  /**
   * Runs `work` (synchronous SQL) in the next group; resolves with its result once committed.
   * `oneChange`: the work changes the database with one statement at most, and nothing after
   * that statement can throw, so it needs no savepoint (two statements fewer).
   */
  run<T>(work: () => T, o: { oneChange?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, savepoint: !o.oneChange, resolve: resolve as (v: unknown) => void, reject });
      if (this.queue.length >= this.max) this.flush();
      else this.scheduled ??= setImmediate(this.flush);
    });
  }

  /** Writes what is waiting now (also before the database is closed). */
  flush = (): void => {
    if (this.scheduled) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    const jobs = this.queue;
    if (jobs.length === 0) return;
    this.queue = [];
    const out: Outcome[] = [];
    try {
      this.writeGroup(jobs, out);
    } catch (err) {
      for (const job of jobs) job.reject(err);
      return;
    }
    for (let i = 0; i < jobs.length; i++) {
      const o = out[i]!;
      if (o.ok) jobs[i]!.resolve(o.value);
      else jobs[i]!.reject(o.err);
    }
  };
}
