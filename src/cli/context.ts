import type { Principal } from '../domain/principal.js';
import { openServices } from '../main.js';
import type { Services } from '../services/index.js';

export interface GlobalOptions {
  dataDir: string;
  relay?: string;
  token?: string;
  timeZone?: string;
}

export const CLI: Principal = { kind: 'cli' };

/**
 * Administrative commands work on the data directory directly, as the operator who owns it.
 * They share the store with a running relay (SQLite WAL), which sees their writes at once.
 */
export async function withServices<T>(g: GlobalOptions, fn: (s: Services) => Promise<T>): Promise<T> {
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
