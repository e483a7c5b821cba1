import { deviceJid, isLabel } from '../../domain/identifiers.js';
import { accountScope, canSeeAccount, type Principal } from '../../domain/principal.js';
import { EMPTY_REGISTRY, MAX_TAGS, TAG_PATTERN, type Device, type DeviceRegistry } from '../../domain/devices.js';
import type { CountedPage, DeviceFilter } from '../../store/core.js';
import { cursorKey } from '../../store/device-list.js';
import type { AccountService } from './accounts.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { invalid, notFound } from '../kernel/errors.js';
import { newId, newSecret, sha256 } from '../kernel/secrets.js';
import { VENDOR_KEY_SETTING } from '../management/firmware.js';

export const DEVICE_TOKEN_PREFIX = 'frd_';
export const MAX_PAGE = 500;
const MAX_CAPABILITIES_BYTES = 16 * 1024;

export interface DeviceCredentials {
  deviceId: string;
  jid: string;
  token: string;
  /** The firmware vendor's Ed25519 key (PEM), for the device to verify programs from its update check with (seed 004 state 6). */
  vendorPublicKey?: string;
}


/** Memory, paper sizes, functions...: free-form, but a bounded JSON object. */
export function checkCapabilities(caps: unknown): Record<string, unknown> {
  if (caps === undefined) return {};
  if (typeof caps !== 'object' || caps === null || Array.isArray(caps)) throw invalid('capabilities is a JSON object');
  if (JSON.stringify(caps).length > MAX_CAPABILITIES_BYTES) throw invalid(`capabilities is at most ${MAX_CAPABILITIES_BYTES} bytes of JSON`);
  return caps as Record<string, unknown>;
}

export function checkLabels(serial: string, model: string): void {
  if (!isLabel(serial)) throw invalid('serial is 1–64 printable ASCII characters without leading or trailing spaces');
  if (!isLabel(model)) throw invalid('model is 1–64 printable ASCII characters without leading or trailing spaces');
}

const REGISTRATION_NUMBER = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
const EMAIL = /^[^\s@<>()",;]{1,64}@[A-Za-z0-9.-]{1,189}\.[A-Za-z]{2,}$/;
const FREE_TEXT = /^[^\x00-\x1f\x7f]{1,200}$/u;

/** Tags are kept sorted, without repeats. */
export function checkTags(tags: string[]): string[] {
  const re = new RegExp(TAG_PATTERN);
  const bad = tags.find((t) => typeof t !== 'string' || !re.test(t));
  if (bad !== undefined) throw invalid(`not a tag: ${String(bad).slice(0, 40)} (1–32 letters, digits, '.', '_', ':' or '-')`);
  const unique = [...new Set(tags)].sort();
  if (unique.length > MAX_TAGS) throw invalid(`at most ${MAX_TAGS} tags a device`);
  return unique;
}

export function checkRegistry(c: Partial<DeviceRegistry>): Partial<DeviceRegistry> {
  const text = (name: string, v: string | null | undefined, re: RegExp, what: string): void => {
    if (v !== undefined && v !== null && !re.test(v)) throw invalid(`${name} ${what}`);
  };
  text('registrationNumber', c.registrationNumber, REGISTRATION_NUMBER, 'is 1–32 letters, digits or hyphens');
  text('installationPlace', c.installationPlace, FREE_TEXT, 'is 1–200 characters without control characters');
  text('installer', c.installer, FREE_TEXT, 'is 1–200 characters without control characters');
  text('contact', c.contact, FREE_TEXT, 'is 1–200 characters without control characters');
  text('contactEmail', c.contactEmail, EMAIL, 'is not an e-mail address');
  const out: Partial<DeviceRegistry> = {};
  for (const k of ['registrationNumber', 'installationPlace', 'installer', 'contact', 'contactEmail'] as const) if (c[k] !== undefined) out[k] = c[k];
  if (c.legacyAuth !== undefined) out.legacyAuth = Boolean(c.legacyAuth);
  return out;
}

/** The device registry (seed 000 device database 76, seed 003 printer table 138). */
export class DeviceService {
  private readonly revoked: ((deviceId: string) => void)[] = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly accounts: AccountService,
  ) {}

  /** Called after a device's token was rotated or the device removed (the store logs it too, for other processes). */
  onRevoked(fn: (deviceId: string) => void): void {
    this.revoked.push(fn);
  }

  jid(deviceId: string): string {
    return deviceJid(deviceId, this.ctx.domain);
  }

  newDevice(accountId: string, serial: string, model: string, capabilities: Record<string, unknown>): Device {
    const now = this.ctx.clock.now();
    return {
      id: newId(this.ctx.random, 'd', 10),
      accountId,
      serial,
      model,
      capabilities,
      registry: { ...EMPTY_REGISTRY },
      tags: [],
      firmwareVersion: null,
      firmwareTarget: null,
      online: false,
      lastSeenAt: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  newToken(): { token: string; hash: string } {
    const token = newSecret(this.ctx.random, DEVICE_TOKEN_PREFIX);
    return { token, hash: sha256(token) };
  }

  /** The factory/dealer path of seed 000: an operator creates the device and its token up front. */
  async provision(
    p: Principal,
    o: { serial: string; model: string; accountId?: string; capabilities?: unknown },
  ): Promise<{ device: Device; credentials: DeviceCredentials }> {
    checkLabels(o.serial, o.model);
    const caps = checkCapabilities(o.capabilities);
    const accountId = await this.accounts.resolveAccount(p, o.accountId);
    const device = this.newDevice(accountId, o.serial, o.model, caps);
    const { token, hash } = this.newToken();
    await this.ctx.store.devices.insert(device, hash);
    await audit(this.ctx, p, 'device.add', device.id, accountId, { serial: o.serial, model: o.model });
    return { device, credentials: await this.credentials(device.id, token) };
  }

  async list(p: Principal, f: Omit<DeviceFilter, 'limit'> & { limit?: number }): Promise<CountedPage<Device>> {
    const limit = Math.min(Math.max(f.limit ?? 100, 1), MAX_PAGE);
    if (f.cursor !== undefined && !cursorKey(f.sort ?? 'id', f.cursor)) throw invalid('this cursor is not from a page of this list in this order; start again without it');
    if (f.accountId !== undefined && !canSeeAccount(p, f.accountId)) return { items: [], nextCursor: null, total: 0 };
    return this.ctx.store.devices.list({ ...f, accountId: accountScope(p, f.accountId), limit });
  }

  /** A device of another account is reported as absent. */
  async get(p: Principal, id: string): Promise<Device> {
    const d = await this.ctx.store.devices.get(id);
    if (!d || !canSeeAccount(p, d.accountId)) throw notFound(`device ${id}`);
    return d;
  }

  /** A new token replaces the old at once: the old one stops working on the next request, and the device's session ends. */
  async rotateToken(p: Principal, id: string): Promise<DeviceCredentials> {
    const d = await this.get(p, id);
    const { token, hash } = this.newToken();
    await this.ctx.store.devices.setTokenHash(d.id, hash, this.ctx.clock.now());
    for (const fn of this.revoked) fn(d.id);
    await audit(this.ctx, p, 'device.rotate-token', d.id, d.accountId);
    return this.credentials(d.id, token);
  }

  /** What a device is handed once: its id, JID, token, and the key its firmware must be signed with. */
  async credentials(deviceId: string, token: string): Promise<DeviceCredentials> {
    const vendorPublicKey = await this.ctx.store.settings.get(VENDOR_KEY_SETTING);
    return { deviceId, jid: this.jid(deviceId), token, ...(vendorPublicKey ? { vendorPublicKey } : {}) };
  }

  async remove(p: Principal, id: string): Promise<void> {
    const d = await this.get(p, id);
    await this.ctx.store.devices.remove(d.id);
    for (const fn of this.revoked) fn(d.id);
    await audit(this.ctx, p, 'device.remove', d.id, d.accountId, { serial: d.serial, model: d.model });
  }

  /** Registry fields and tags; what is not given stays. */
  async update(p: Principal, id: string, changes: Partial<DeviceRegistry> & { tags?: string[] }): Promise<Device> {
    const d = await this.get(p, id);
    const { tags: given, ...fields } = changes;
    const registry = { ...d.registry, ...checkRegistry(fields) };
    const tags = given === undefined ? d.tags : checkTags(given);
    const now = this.ctx.clock.now();
    if (Object.keys(fields).length > 0) await this.ctx.store.devices.setRegistry(d.id, registry, now);
    if (given !== undefined) await this.ctx.store.devices.setTags(d.id, tags, now);
    await audit(this.ctx, p, 'device.update', d.id, d.accountId, { ...changes });
    return { ...d, registry, tags, updatedAt: now };
  }

  /** Only the device itself (holding its token) changes what it says about itself. */
  async updateCapabilities(device: Device, caps: unknown): Promise<Device> {
    const checked = checkCapabilities(caps);
    const now = this.ctx.clock.now();
    await this.ctx.store.devices.setCapabilities(device.id, checked, now);
    await audit(this.ctx, `device:${device.id}`, 'device.capabilities', device.id, device.accountId);
    return { ...device, capabilities: checked, updatedAt: now };
  }
}
