import { existsSync } from 'node:fs';
import type { Principal } from '../domain/principal.js';
import { openServices } from '../main.js';
import type { Services } from '../services/index.js';
import { dbPath } from '../store/sqlite/open.js';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  dataDir: string;
  relay?: string;
  token?: string;
  timeZone?: string;
}

export const CLI: Principal = { kind: 'cli' };

/**
 * A mistyped --data-dir must not silently get a new, empty database: only serve, init and
 * restore make one.
 */
export function requireDatabase(dataDir: string): void {
  if (!existsSync(dbPath(dataDir)))
    throw new UsageError(`no FleetRelay database in ${dataDir}: give the relay's --data-dir (or FLEETRELAY_DATA), or create one with "fleetrelay init --data-dir ${dataDir}"`);
}

/**
 * Administrative commands work on the data directory directly, as the operator who owns it.
 * They share the store with a running relay (SQLite WAL), which sees their writes at once.
 */
export async function withServices<T>(g: GlobalOptions, fn: (s: Services) => Promise<T>): Promise<T> {
  requireDatabase(g.dataDir);
  const { services, close } = await openServices({
    dataDir: g.dataDir,
    timeZone: g.timeZone ?? process.env.FLEETRELAY_TIME_ZONE ?? 'UTC',
    domain: process.env.FLEETRELAY_DOMAIN,
  });
  try {
    return await fn(services);
  } finally {
    await close();
  }
}
