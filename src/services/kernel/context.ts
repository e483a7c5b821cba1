import type { Clock } from '../../domain/clock.js';
import { actorName, type Principal } from '../../domain/principal.js';
import type { Store } from '../../store/store.js';
import type { Random } from './secrets.js';

/** What every service is built from: nothing here reads the environment or the wall clock. */
export interface ServiceContext {
  store: Store;
  clock: Clock;
  random: Random;
  /** XMPP domain of device JIDs. */
  domain: string;
}

/** Records who changed what; every state-changing service call goes through here. */
export async function audit(
  ctx: ServiceContext,
  who: Principal | string,
  action: string,
  target: string | null,
  accountId: string | null,
  detail: Record<string, unknown> | null = null,
): Promise<void> {
  const actor = typeof who === 'string' ? who : actorName(who);
  await ctx.store.audit.record({ at: ctx.clock.now(), actor, accountId, action, target, detail });
}
