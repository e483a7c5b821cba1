import type { Principal } from '../../domain/principal.js';
import type { Device } from '../../domain/devices.js';
import type { ServiceContext } from '../kernel/context.js';
import { API_TOKEN_PREFIX } from './accounts.js';
import { DEVICE_TOKEN_PREFIX } from './devices.js';
import { DUMMY_PASSWORD_HASH, newSecret, sha256, verifyPassword } from '../kernel/secrets.js';

export const SESSION_TTL_MS = 12 * 3600_000;
/** How stale an API token's last-used time may get. */
export const TOKEN_TOUCH_EVERY_MS = 60_000;

export interface SignedIn {
  principal: Extract<Principal, { kind: 'user' }>;
  csrf: string;
}

/**
 * Turns presented secrets into principals. Nothing is cached: each check is one indexed read,
 * so a revocation written by the CLI into the same data directory counts on the next request.
 */
export class AuthService {
  constructor(private readonly ctx: ServiceContext) {}

  async apiToken(secret: string): Promise<Principal | null> {
    if (!secret.startsWith(API_TOKEN_PREFIX) || secret.length > 200) return null;
    const t = await this.ctx.store.tokens.byHash(sha256(secret));
    const now = this.ctx.clock.now();
    if (!t || t.revokedAt !== null || (t.expiresAt !== null && t.expiresAt <= now)) return null;
    // "Last used" to the minute is what an operator reads: a busy token costs one write a minute,
    // not a statement per request.
    if (t.lastUsedAt === null || now - t.lastUsedAt >= TOKEN_TOUCH_EVERY_MS) await this.ctx.store.tokens.touch(t.id, now);
    return { kind: 'token', tokenId: t.id, accountId: t.accountId, admin: t.admin };
  }

  async deviceToken(secret: string): Promise<Device | null> {
    if (!secret.startsWith(DEVICE_TOKEN_PREFIX) || secret.length > 200) return null;
    return this.ctx.store.devices.byTokenHash(sha256(secret));
  }

  /**
   * HTTP Basic credentials (IPP clients): the password is an API token, or the person's own
   * password. No session is opened.
   */
  async basic(name: string, password: string): Promise<Principal | null> {
    if (password.startsWith(API_TOKEN_PREFIX)) return this.apiToken(password);
    const user = name.length <= 64 ? await this.ctx.store.users.byName(name) : null;
    const ok = await verifyPassword(password.slice(0, 1024), user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    return user && ok ? this.userPrincipal(user) : null;
  }

  /** Checks a person's password; on success opens a web session and returns its cookie secret. */
  async signIn(name: string, password: string): Promise<{ session: string; signedIn: SignedIn } | null> {
    const user = name.length <= 64 ? await this.ctx.store.users.byName(name) : null;
    const ok = await verifyPassword(password.slice(0, 1024), user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok) return null;
    const session = newSecret(this.ctx.random, '');
    const csrf = newSecret(this.ctx.random, '');
    const now = this.ctx.clock.now();
    await this.ctx.store.webSessions.insert(sha256(session), { userId: user.id, csrf, expiresAt: now + SESSION_TTL_MS }, now);
    await this.ctx.store.audit.record({ at: now, actor: `user:${user.name}`, accountId: user.accountId, action: 'user.sign-in', target: user.name, detail: null });
    return { session, signedIn: { principal: this.userPrincipal(user), csrf } };
  }

  async session(secret: string): Promise<SignedIn | null> {
    if (secret.length > 200) return null;
    const s = await this.ctx.store.webSessions.get(sha256(secret));
    if (!s || s.expiresAt <= this.ctx.clock.now()) return null;
    const user = await this.ctx.store.users.get(s.userId);
    return user ? { principal: this.userPrincipal(user), csrf: s.csrf } : null;
  }

  async signOut(secret: string): Promise<void> {
    await this.ctx.store.webSessions.remove(sha256(secret));
  }

  private userPrincipal(u: { id: string; name: string; accountId: string; admin: boolean }): SignedIn['principal'] {
    return { kind: 'user', userId: u.id, name: u.name, accountId: u.accountId, admin: u.admin };
  }
}
