import { isFaxUserId, parseFaxUserSettings } from '../../domain/fax.js';
import { accountScope, canSeeAccount, type Principal } from '../../domain/principal.js';
import type { FaxUser } from '../../domain/fax.js';
import type { AccountService } from '../identity/accounts.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { invalid, notFound } from '../kernel/errors.js';
import { DUMMY_PASSWORD_HASH, hashPassword, sha256, verifyPassword } from '../kernel/secrets.js';

export type PublicFaxUser = Omit<FaxUser, 'passwordHash'>;
const MIN_PASSWORD = 8;
const MAX_PAGE = 500;
const VERIFIED_CAP = 10_000;

const publicUser = ({ passwordHash: _, ...u }: FaxUser): PublicFaxUser => u;

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > 1024)
    throw invalid(`a fax password is ${MIN_PASSWORD}–1024 characters`);
  return password;
}

/**
 * Fax users: the identifying information of seed 001 (user ID and password, [0021]) and their
 * settings. A fax machine logs in once per connection, and keeps spares, so a password that
 * passed scrypt is remembered (as a hash bound to the stored hash) to make the next login cheap.
 * A changed or removed user is seen at once: the stored row is read on every login.
 */
export class FaxUserService {
  private readonly verified = new Map<string, string>();
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly accounts: AccountService,
  ) {}

  async add(p: Principal, u: { id: unknown; password: unknown; accountId?: string; settings?: unknown }): Promise<PublicFaxUser> {
    if (!isFaxUserId(u.id)) throw invalid('a fax user ID is 1–64 lowercase letters, digits, dots, underscores or hyphens');
    const password = checkPassword(u.password);
    const settings = parseFaxUserSettings(u.settings);
    if (typeof settings === 'string') throw invalid(settings);
    const accountId = await this.accounts.resolveAccount(p, u.accountId);
    const now = this.ctx.clock.now();
    const user: FaxUser = { id: u.id, accountId, passwordHash: await hashPassword(password, this.ctx.random), settings, createdAt: now, updatedAt: now };
    await this.ctx.store.faxUsers.insert(user);
    await audit(this.ctx, p, 'fax-user.add', user.id, accountId, { settings });
    return publicUser(user);
  }

  async list(p: Principal, o: { accountId?: string; cursor?: string; limit?: number } = {}): Promise<PublicFaxUser[]> {
    const limit = Math.min(Math.max(o.limit ?? 100, 1), MAX_PAGE);
    return (await this.ctx.store.faxUsers.list({ accountId: accountScope(p, o.accountId), cursor: o.cursor, limit })).map(publicUser);
  }

  async get(p: Principal, id: string): Promise<PublicFaxUser> {
    return publicUser(await this.visible(p, id));
  }

  async update(p: Principal, id: string, change: { password?: unknown; settings?: unknown }): Promise<PublicFaxUser> {
    await this.visible(p, id);
    const settings = change.settings === undefined ? undefined : parseFaxUserSettings(change.settings);
    if (typeof settings === 'string') throw invalid(settings);
    const passwordHash = change.password === undefined ? undefined : await hashPassword(checkPassword(change.password), this.ctx.random);
    const updated = await this.ctx.store.faxUsers.update(id, { passwordHash, settings }, this.ctx.clock.now());
    if (!updated) throw notFound(`fax user ${id}`);
    await audit(this.ctx, p, 'fax-user.update', id, updated.accountId, { password: passwordHash !== undefined, settings });
    return publicUser(updated);
  }

  async remove(p: Principal, id: string): Promise<PublicFaxUser> {
    const u = await this.visible(p, id);
    await this.ctx.store.faxUsers.delete(id);
    await audit(this.ctx, p, 'fax-user.remove', id, u.accountId);
    return publicUser(u);
  }

  /** The user if the password is theirs; null otherwise (same work whether or not the user exists). */
  async authenticate(id: string, password: string): Promise<FaxUser | null> {
    const user = isFaxUserId(id) ? await this.ctx.store.faxUsers.get(id) : null;
    const pw = password.slice(0, 1024);
    if (!user) {
      await verifyPassword(pw, DUMMY_PASSWORD_HASH);
      return null;
    }
    const key = sha256(`${user.passwordHash}\0${pw}`);
    if (this.verified.get(user.passwordHash) === key) return user;
    // Several connections of one machine log in together: one scrypt serves them all.
    let check = this.checking.get(key);
    if (!check) {
      check = verifyPassword(pw, user.passwordHash).finally(() => this.checking.delete(key));
      this.checking.set(key, check);
    }
    if (!(await check)) return null;
    if (this.verified.size >= VERIFIED_CAP) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(user.passwordHash, key);
    return user;
  }

  /** Whether a logged-in user is still there with the same password (removed or changed: log them out). */
  async stillValid(id: string, passwordHash: string): Promise<boolean> {
    return (await this.ctx.store.faxUsers.get(id))?.passwordHash === passwordHash;
  }

  private async visible(p: Principal, id: string): Promise<FaxUser> {
    const u = await this.ctx.store.faxUsers.get(id);
    if (!u || !canSeeAccount(p, u.accountId)) throw notFound(`fax user ${id}`);
    return u;
  }
}
