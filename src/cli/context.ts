import { systemClock } from '../domain/clock.js';
import type { Principal } from '../domain/principal.js';
import { openStore, XMPP_DOMAIN_SETTING } from '../main.js';
import type { Store } from '../store/store.js';
import { createServices, type Services } from '../services/index.js';
import { cryptoRandom } from '../services/kernel/secrets.js';
import { defaults } from '../config.js';

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
  const store = openStore(g.dataDir);
  try {
    const services = createServices(
      { store, clock: systemClock, random: cryptoRandom(), domain: await xmppDomain(store) },
      { registrationTtlMs: defaults.registrationTtlSeconds * 1000, timeZone: g.timeZone ?? process.env.FLEETRELAY_TIME_ZONE ?? 'UTC', dataDir: g.dataDir },
    );
    await services.accounts.ensureDefaultAccount();
    return await fn(services);
  } finally {
    await store.close();
  }
}

/** The domain the relay last ran with, unless FLEETRELAY_DOMAIN says otherwise. */
async function xmppDomain(store: Store): Promise<string> {
  return process.env.FLEETRELAY_DOMAIN ?? (await store.settings.get(XMPP_DOMAIN_SETTING)) ?? defaults.domain;
}
