import { claimedExpiry, decideClaim, pollOutcome, type GoneReason, type Registration } from '../../domain/registration.js';
import type { Principal } from '../../domain/principal.js';
import type { Device } from '../../domain/devices.js';
import type { AccountService } from './accounts.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { checkCapabilities, checkLabels, type DeviceCredentials, type DeviceService } from './devices.js';
import { notFound, ServiceError } from '../kernel/errors.js';
import { RateLimiter } from '../kernel/rate-limit.js';
import { Waiters } from '../kernel/waiters.js';
import { newId, newSecret, sameText, sha256 } from '../kernel/secrets.js';

export const PIN_DIGITS = 8;
export const MAX_POLL_WAIT_MS = 30_000;
/** Waiting polls held at once; past this a poll answers at once instead of waiting. */
const MAX_WAITERS = 10_000;
/** Expired registrations still answer 410 for a day before they are forgotten. */
export const KEEP_EXPIRED_MS = 24 * 3600_000;

export type PollResult = { kind: 'pending'; expiresAt: number } | { kind: 'delivered'; credentials: DeviceCredentials };

export interface RegistrationTicket {
  pin: string;
  claimId: string;
  pollToken: string;
  expiresAt: number;
}

/**
 * Anonymous registration with a PIN (seed 003 T10–T62): the device asks (T12), gets a PIN and a
 * claim URL (T20), a signed-in person types the PIN (T50), the device's next poll gets its
 * access token AT1 (T60). Secrets (PIN, claim id, poll token) are stored only as hashes.
 */
export class RegistrationService {
  private readonly waiters: Waiters;
  /** Wrong PINs per person, across registrations, so one person cannot sweep many PINs. */
  private readonly wrongPinsByUser: RateLimiter;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly accounts: AccountService,
    private readonly devices: DeviceService,
    readonly ttlMs: number,
  ) {
    this.wrongPinsByUser = new RateLimiter(ctx.clock, 10, 15 * 60_000);
    this.waiters = new Waiters(ctx.clock, MAX_WAITERS);
  }

  /** The device's registration request (T12): a PIN is made and stored, as a hash, with the registration (T14). */
  async register(o: { serial: string; model: string; capabilities?: unknown }): Promise<RegistrationTicket> {
    checkLabels(o.serial, o.model);
    const capabilities = checkCapabilities(o.capabilities);
    const now = this.ctx.clock.now();
    const reg: Registration = {
      id: newId(this.ctx.random, 'reg-'),
      serial: o.serial,
      model: o.model,
      capabilities,
      state: 'pending',
      attempts: 0,
      deviceId: null,
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    const pin = this.ctx.random.digits(PIN_DIGITS);
    const claimId = newSecret(this.ctx.random, '');
    const pollToken = newSecret(this.ctx.random, 'frp_');
    await this.ctx.store.registrations.insert(reg, { poll: sha256(pollToken), claim: sha256(claimId), pin: pinHash(reg.id, pin) });
    return { pin, claimId, pollToken, expiresAt: reg.expiresAt };
  }

  /** The device's poll: once claimed, its access token is minted (T54) and handed out exactly once (T60). Waits up to waitMs for a claim. */
  async poll(pollToken: string, waitMs: number): Promise<PollResult> {
    const hash = sha256(pollToken);
    let reg = await this.ctx.store.registrations.byPollHash(hash);
    if (!reg) throw notFound('registration');
    let outcome = pollOutcome(reg, this.ctx.clock.now());
    if (outcome.kind === 'pending' && waitMs > 0) {
      await this.waiters.wait(reg.id, Math.min(waitMs, MAX_POLL_WAIT_MS, reg.expiresAt - this.ctx.clock.now()));
      reg = (await this.ctx.store.registrations.byPollHash(hash)) ?? reg;
      outcome = pollOutcome(reg, this.ctx.clock.now());
    }
    switch (outcome.kind) {
      case 'pending':
        return { kind: 'pending', expiresAt: reg.expiresAt };
      case 'gone':
        throw gone(outcome.reason);
      case 'ready': {
        const { token, hash: tokenHash } = this.devices.newToken();
        if (!(await this.ctx.store.registrations.deliver(reg.id, outcome.deviceId, tokenHash, this.ctx.clock.now())))
          throw gone('delivered');
        await audit(this.ctx, `device:${outcome.deviceId}`, 'device.token-delivered', outcome.deviceId, null);
        return { kind: 'delivered', credentials: await this.devices.credentials(outcome.deviceId, token) };
      }
    }
  }

  /** What the claim page shows (T42: the screen the claim URL leads to). The claim id is a capability: unknown ids are 404. */
  async view(claimId: string): Promise<Registration> {
    const reg = claimId.length <= 100 ? await this.ctx.store.registrations.byClaimHash(sha256(claimId)) : null;
    if (!reg) throw notFound('registration');
    return reg;
  }

  /** A signed-in person types the PIN (T50); if it matches (T52) the device is created in their account (T56; its token comes with the device's next poll). */
  async claim(p: Principal, claimId: string, pin: string, accountId?: string): Promise<Device> {
    const who = p.kind === 'user' ? p.userId : p.kind === 'token' ? p.tokenId : 'cli';
    if (this.wrongPinsByUser.blocked(who))
      throw new ServiceError('rate-limited', 'too many wrong PINs; wait before trying again', {
        retryAfter: this.wrongPinsByUser.retryAfter(who),
      });
    const reg = await this.ctx.store.registrations.byClaimHash(sha256(claimId));
    if (!reg) throw notFound('registration');
    const now = this.ctx.clock.now();
    const pinOk = sameText(pinHash(reg.id, pin.trim()), reg.pinHash);
    const decision = decideClaim(reg, pinOk, now);
    switch (decision.kind) {
      case 'wrong-pin':
        await this.ctx.store.registrations.countFailedAttempt(reg.id);
        this.wrongPinsByUser.hit(who);
        throw new ServiceError('wrong-pin', `the PIN does not match; ${decision.attemptsLeft} attempts left`, {
          attemptsLeft: decision.attemptsLeft,
        });
      case 'locked':
        if (!pinOk) await this.ctx.store.registrations.countFailedAttempt(reg.id);
        this.wrongPinsByUser.hit(who);
        throw new ServiceError('rate-limited', 'too many wrong PINs for this registration; register the device again');
      case 'expired':
        throw gone('expired');
      case 'already-claimed':
        throw new ServiceError('conflict', 'this registration has already been claimed');
      case 'refused':
        throw serialTaken(reg);
      case 'accept':
        break;
    }
    const account = await this.accounts.resolveAccount(p, accountId);
    const device = this.devices.newDevice(account, reg.serial, reg.model, reg.capabilities);
    const result = await this.ctx.store.registrations.claim(reg.id, device, claimedExpiry(reg, now));
    if (result === 'not-pending') throw new ServiceError('conflict', 'this registration has already been claimed');
    if (result === 'conflict') {
      // The store refused the registration with the claim: its device's poll ends now, not at expiry.
      await audit(this.ctx, p, 'device.claim-refused', null, account, { serial: reg.serial, model: reg.model, reason: 'serial-taken' });
      this.waiters.wake(reg.id);
      throw serialTaken(reg);
    }
    await audit(this.ctx, p, 'device.claim', device.id, account, { serial: reg.serial, model: reg.model });
    this.waiters.wake(reg.id);
    return device;
  }

  /**
   * For a registration refused because its (model, serial) is a device already: that device, if
   * the person may manage it (their account's, or any for a site admin) — the one to remove or
   * give a new token — else null.
   */
  async refusedFor(p: Principal, claimId: string): Promise<{ registration: Registration; device: Device | null }> {
    const registration = await this.view(claimId);
    if (registration.state !== 'refused') throw new ServiceError('conflict', 'this registration was not refused');
    const existing = await this.ctx.store.devices.byModelSerial(registration.model, registration.serial);
    const device = existing && (await this.devices.get(p, existing.id).catch(() => null));
    return { registration, device: device ?? null };
  }

  async sweep(): Promise<number> {
    return this.ctx.store.registrations.deleteExpiredBefore(this.ctx.clock.now() - KEEP_EXPIRED_MS);
  }

}

function pinHash(regId: string, pin: string): string {
  return sha256(`${regId}:${pin}`);
}

function serialTaken(reg: Registration): ServiceError {
  return new ServiceError(
    'conflict',
    `a device with model ${reg.model} and serial ${reg.serial} is already registered, so this registration was refused; an operator can remove that device or rotate its token`,
    { reason: 'serial-taken' },
  );
}

function gone(reason: GoneReason): ServiceError {
  const why = {
    expired: 'the registration has expired; register again',
    delivered: 'the token for this registration has already been delivered',
    locked: 'too many wrong PINs were entered for this registration; register again',
    refused:
      'the registration was refused: a device with this model and serial is already registered. Ask an operator to remove it (then register again) or to rotate its token and enter the new one',
  }[reason];
  return new ServiceError('gone', why, { reason });
}
