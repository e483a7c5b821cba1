import type Database from 'better-sqlite3';
import { ConflictError } from '../store.js';
import type { Row } from '../rows.js';

/** Prepared-statement helpers. Statements are compiled once and reused: compiling costs more than running a point query. */
export class Sql {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  stmt = (sql: string): Database.Statement => {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  };
  one = (sql: string, ...params: unknown[]): Row | undefined => this.stmt(sql).get(...params) as Row | undefined;
  all = (sql: string, ...params: unknown[]): Row[] => this.stmt(sql).all(...params) as Row[];
  run = (sql: string, ...params: unknown[]): number => this.stmt(sql).run(...params).changes;
  /** The first row, mapped, or null. */
  first = <T>(map: (r: Row) => T, sql: string, ...params: unknown[]): T | null => {
    const r = this.one(sql, ...params);
    return r ? map(r) : null;
  };
}

/** Runs a write; a UNIQUE violation becomes a ConflictError with a message fit for the caller. */
export function uniquely<T>(write: () => T, conflict: string): T {
  try {
    return write();
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(conflict);
    throw err;
  }
}


const isUniqueViolation = (err: unknown): boolean =>
  (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
  (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
