import { isAccountId, isUserName } from '../../domain/identifiers.js';
import { accountScope, canSeeAccount, isAdmin, type Principal } from '../../domain/principal.js';
import { SUPPLY_LOW_PERCENT } from '../../domain/status.js';
import { MAX_STATUS_POLL_SECONDS, MIN_STATUS_POLL_SECONDS, type Account, type ApiToken, type AuditEntry, type User } from '../../domain/accounts.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { invalid, notFound, ServiceError } from '../kernel/errors.js';
import { hashPassword, newId, newSecret, sha256 } from '../kernel/secrets.js';

export const DEFAULT_ACCOUNT = 'default';
export const API_TOKEN_PREFIX = 'fra_';
const MIN_PASSWORD = 8;

export type PublicUser = Omit<User, 'passwordHash'>;

const requireAdmin = (p: Principal, what: string): void => {
  if (!isAdmin(p)) throw new ServiceError('forbidden', `only a site admin can ${what}`);
};

/** Accounts, the people who sign in to them, and the API tokens that act for them. */
export class AccountService {
  constructor(private readonly ctx: ServiceContext) {}

  /** A default account exists from the first start. */
  async ensureDefaultAccount(): Promise<void> {
    if (await this.ctx.store.accounts.get(DEFAULT_ACCOUNT)) return;
    await this.ctx.store.accounts.insert({ id: DEFAULT_ACCOUNT, name: 'Default account', createdAt: this.ctx.clock.now(), statusPollSeconds: null, supplyLowPercent: SUPPLY_LOW_PERCENT });
  }

  async addAccount(p: Principal, id: string, name?: string): Promise<Account> {
    requireAdmin(p, 'add accounts');
    if (!isAccountId(id)) throw invalid('an account id is 1–32 lowercase letters, digits or hyphens, starting with a letter or digit');
    if (name !== undefined && (name.length === 0 || name.length > 200)) throw invalid('an account name is 1–200 characters');
    const account: Account = { id, name: name ?? id, createdAt: this.ctx.clock.now(), statusPollSeconds: null, supplyLowPercent: SUPPLY_LOW_PERCENT };
    await this.ctx.store.accounts.insert(account);
    await audit(this.ctx, p, 'account.add', id, id, { name: account.name });
    return account;
  }

  /**
   * An account's name and status settings: the site admin's, or its own operators'. A poll
   * interval of null is the relay's (--status-poll), 0 polls the account's devices never.
   */
  async updateAccount(p: Principal, id: string, u: { name?: string; statusPollSeconds?: number | null; supplyLowPercent?: number }): Promise<Account> {
    const a = await this.ctx.store.accounts.get(id);
    if (!a || !canSeeAccount(p, id)) throw notFound(`account ${id}`);
    if (u.name !== undefined && (u.name.length === 0 || u.name.length > 200)) throw invalid('an account name is 1–200 characters');
    const poll = u.statusPollSeconds;
    if (poll !== undefined && poll !== null && !(Number.isInteger(poll) && (poll === 0 || (poll >= MIN_STATUS_POLL_SECONDS && poll <= MAX_STATUS_POLL_SECONDS))))
      throw invalid(`the status poll interval is ${MIN_STATUS_POLL_SECONDS} to ${MAX_STATUS_POLL_SECONDS} seconds, 0 (never), or null (the relay's)`);
    if (u.supplyLowPercent !== undefined && !(Number.isInteger(u.supplyLowPercent) && u.supplyLowPercent >= 1 && u.supplyLowPercent <= 99))
      throw invalid('the supply-low mark is 1 to 99 percent');
    const next: Account = { ...a, ...(u.name !== undefined ? { name: u.name } : {}), ...(poll !== undefined ? { statusPollSeconds: poll } : {}), ...(u.supplyLowPercent !== undefined ? { supplyLowPercent: u.supplyLowPercent } : {}) };
    await this.ctx.store.accounts.update(next);
    await audit(this.ctx, p, 'account.update', id, id, { name: next.name, statusPollSeconds: next.statusPollSeconds, supplyLowPercent: next.supplyLowPercent });
    return next;
  }

  /** An account by its ID, unscoped: for what the relay says of a printer (IPP's printer-organization). */
  account(id: string): Promise<Account | null> {
    return this.ctx.store.accounts.get(id);
  }

  async listAccounts(p: Principal): Promise<Account[]> {
    const all = await this.ctx.store.accounts.list();
    return all.filter((a) => canSeeAccount(p, a.id));
  }

  /** The account an action targets: the operator's own, or an admin's choice (default: the default account). */
  async resolveAccount(p: Principal, requested?: string): Promise<string> {
    const id = requested ?? (isAdmin(p) ? DEFAULT_ACCOUNT : accountScope(p)!);
    if (!canSeeAccount(p, id) || !(await this.ctx.store.accounts.get(id))) throw notFound(`account ${id}`);
    return id;
  }

  async addUser(p: Principal, u: { name: string; password: string; accountId?: string; admin?: boolean }): Promise<PublicUser> {
    if (!isUserName(u.name)) throw invalid('a user name is 1–64 letters, digits, dots, underscores or hyphens');
    if (u.password.length < MIN_PASSWORD || u.password.length > 1024)
      throw invalid(`a password is ${MIN_PASSWORD}–1024 characters`);
    if (u.admin) requireAdmin(p, 'make site admins');
    const accountId = await this.resolveAccount(p, u.accountId);
    const user: User = {
      id: newId(this.ctx.random, 'usr-'),
      name: u.name,
      accountId,
      admin: Boolean(u.admin),
      passwordHash: await hashPassword(u.password, this.ctx.random),
      createdAt: this.ctx.clock.now(),
    };
    await this.ctx.store.users.insert(user);
    await audit(this.ctx, p, 'user.add', user.name, accountId, { admin: user.admin });
    const { passwordHash: _, ...pub } = user;
    return pub;
  }

  async listUsers(p: Principal): Promise<PublicUser[]> {
    const users = await this.ctx.store.users.list(accountScope(p));
    return users.map(({ passwordHash: _, ...u }) => u);
  }

  /**
   * A new API token; its secret is returned here and never again (only its SHA-256 is kept).
   * Site-wide (admin) tokens belong to no account.
   */
  async createToken(
    p: Principal,
    o: { accountId?: string; admin?: boolean; label?: string; expiresInSeconds?: number },
  ): Promise<{ token: string; info: ApiToken }> {
    if (o.admin) {
      requireAdmin(p, 'create site-wide tokens');
      if (o.accountId !== undefined) throw invalid('a site-wide admin token belongs to no account: give --admin or --account, not both');
    }
    if (o.label !== undefined && o.label.length > 200) throw invalid('a token label is at most 200 characters');
    if (o.expiresInSeconds !== undefined && !(Number.isInteger(o.expiresInSeconds) && o.expiresInSeconds > 0))
      throw invalid('expiry is a positive whole number of seconds');
    const accountId = o.admin ? null : await this.resolveAccount(p, o.accountId);
    const now = this.ctx.clock.now();
    const info: ApiToken = {
      id: newId(this.ctx.random, 'tok-', 8),
      accountId,
      admin: Boolean(o.admin),
      label: o.label ?? null,
      createdAt: now,
      expiresAt: o.expiresInSeconds ? now + o.expiresInSeconds * 1000 : null,
      revokedAt: null,
      lastUsedAt: null,
    };
    const token = newSecret(this.ctx.random, API_TOKEN_PREFIX);
    await this.ctx.store.tokens.insert(info, sha256(token));
    await audit(this.ctx, p, 'token.create', info.id, accountId, { admin: info.admin, expiresAt: info.expiresAt });
    return { token, info };
  }

  async listTokens(p: Principal): Promise<ApiToken[]> {
    return this.ctx.store.tokens.list(accountScope(p));
  }

  async revokeToken(p: Principal, id: string): Promise<void> {
    const t = await this.ctx.store.tokens.get(id);
    const visible = t && (t.accountId === null ? isAdmin(p) : canSeeAccount(p, t.accountId));
    if (!t || !visible) throw notFound(`token ${id}`);
    if (t.revokedAt !== null) throw new ServiceError('conflict', `token ${id} is already revoked`);
    await this.ctx.store.tokens.revoke(id, this.ctx.clock.now());
    await audit(this.ctx, p, 'token.revoke', id, t.accountId);
  }

  /** Who changed what: everything for a site admin, the caller's account otherwise. */
  async auditLog(p: Principal, limit: number): Promise<AuditEntry[]> {
    return this.ctx.store.audit.list({ accountId: accountScope(p), limit });
  }
}
