import { createHash } from 'node:crypto';
import pg from 'pg';
import { ConflictError } from '../store.js';
import type { Row } from '../rows.js';

/**
 * Query helpers over a pool or one client in a transaction. SQL is written with `?`
 * placeholders like the SQLite adapter's and numbered here; every statement is a named prepared
 * statement, parsed once per connection. Timestamps go in as `ts(ms)` and come back as epoch
 * milliseconds, bigints as numbers (the parsers in `pgTypes`).
 */
export class PgSql {
  constructor(private readonly db: pg.Pool | pg.PoolClient) {}

  one = async (sql: string, ...params: unknown[]): Promise<Row | undefined> => (await this.query(sql, params)).rows[0];
  all = async (sql: string, ...params: unknown[]): Promise<Row[]> => (await this.query(sql, params)).rows;
  /** Rows changed. */
  run = async (sql: string, ...params: unknown[]): Promise<number> => (await this.query(sql, params)).rowCount ?? 0;
  /** The first row, mapped, or null. */
  first = async <T>(map: (r: Row) => T, sql: string, ...params: unknown[]): Promise<T | null> => {
    const r = await this.one(sql, ...params);
    return r ? map(r) : null;
  };

  /**
   * Runs `fn` in one transaction on one connection, committed if it returns, rolled back if it
   * throws. Only on the pool's PgSql: a transaction does not nest.
   */
  tx = async <T>(fn: (q: PgSql) => Promise<T>): Promise<T> => {
    if (!(this.db instanceof pg.Pool)) throw new Error('a transaction does not nest');
    const client = await this.db.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgSql(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };

  private query(sql: string, params: unknown[]): Promise<pg.QueryResult<Row>> {
    const { name, text } = prepared(sql);
    return this.db.query<Row>({ name, text, values: params });
  }
}

const statements = new Map<string, { name: string; text: string }>();

function prepared(sql: string): { name: string; text: string } {
  let s = statements.get(sql);
  if (!s) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    s = { name: `fr_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text };
    statements.set(sql, s);
  }
  return s;
}

/** A timestamp parameter from epoch milliseconds. */
export const ts = (ms: number | null | undefined): Date | null => (ms === null || ms === undefined ? null : new Date(ms));

/** Runs a write; a unique violation becomes a ConflictError with a message fit for the caller. */
export async function uniquely<T>(write: () => Promise<T>, conflict: string): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new ConflictError(conflict);
    throw err;
  }
}

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (s: string) => Date;

/** Result parsers: timestamptz as epoch milliseconds, int8 and numeric as numbers (every value the relay stores fits in 2^53). */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format === 'binary') return pg.types.getTypeParser(oid, 'binary');
    if (oid === pg.types.builtins.TIMESTAMPTZ) return (s: string) => parseTimestamptz(s).getTime();
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return Number;
    return pg.types.getTypeParser(oid, 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};
