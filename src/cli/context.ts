import type { Principal } from '../domain/principal.js';
import { openServices } from '../main.js';
import type { Services } from '../services/index.js';

export interface GlobalOptions {
  dataDir: string;
  databaseUrl?: string;
  relay?: string;
  token?: string;
  timeZone?: string;
}

export const CLI: Principal = { kind: 'cli' };

/**
 * Administrative commands work on the store directly, as the operator who owns it. They share
 * it with running relays (SQLite WAL, or PostgreSQL), which see their writes at once.
 */
export async function withServices<T>(g: GlobalOptions, fn: (s: Services) => Promise<T>): Promise<T> {
  const { services, close } = await openServices({
    dataDir: g.dataDir,
    databaseUrl: g.databaseUrl,
    mustExist: true,
    timeZone: g.timeZone ?? process.env.FLEETRELAY_TIME_ZONE ?? 'UTC',
    domain: process.env.FLEETRELAY_DOMAIN,
  });
  try {
    return await fn(services);
  } finally {
    await close();
  }
}
