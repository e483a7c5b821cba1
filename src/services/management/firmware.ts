import { writeFileSync } from 'node:fs';
import { buffer } from 'node:stream/consumers';
import { complianceOf, compareVersions, isVersion, pickUpdate, sha256Hex, targetOf, vendorKey, verifyProgram, type Compliance } from '../../domain/firmware.js';
import { accountScope, canSeeAccount, isAdmin, actorName, type Principal } from '../../domain/principal.js';
import type { Device } from '../../domain/devices.js';
import type { Firmware } from '../../domain/firmware.js';
import { BlobNotFoundError } from '../../store/blobs.js';
import { audit, type ServiceContext } from '../kernel/context.js';
import { invalid, notFound, ServiceError } from '../kernel/errors.js';
import { newId } from '../kernel/secrets.js';

export const VENDOR_KEY_SETTING = 'firmware_vendor_public_key';
export const MAX_PROGRAM_BYTES = 64 * 1024 * 1024;

export interface ModelCompliance {
  model: string;
  target: Firmware | null;
  /** Newest first; a null version (not reported yet) last. */
  versions: { version: string | null; devices: number; state: Compliance }[];
}

const adminOnly = (p: Principal): void => {
  if (!isAdmin(p)) throw new ServiceError('forbidden', 'only a site admin manages firmware');
};

/**
 * Firmware (seed 004 state 6, the program update check): the vendor's Ed25519 key, programs per
 * model verified on upload, staged rollout by percentage of a model's devices, and the update
 * check with its history (sending time and program ID). Program bytes are the store's blobs
 * under their SHA-256.
 */
export class FirmwareService {
  constructor(private readonly ctx: ServiceContext) {}

  async setVendorKey(p: Principal, text: string): Promise<string> {
    adminOnly(p);
    let pem: string;
    try {
      pem = vendorKey(text).export({ format: 'pem', type: 'spki' }).toString();
    } catch (err) {
      throw invalid(`not a vendor key: ${(err as Error).message}`);
    }
    await this.ctx.store.settings.set(VENDOR_KEY_SETTING, pem);
    await audit(this.ctx, p, 'firmware.vendor-key', VENDOR_KEY_SETTING, null);
    return pem;
  }

  async upload(p: Principal, u: { model: string; version: string; signature: string; program: Buffer }): Promise<Firmware> {
    adminOnly(p);
    if (!isVersion(u.version)) throw invalid('a version is up to four dot-separated numbers, e.g. 1.2.3');
    if (u.program.length === 0 || u.program.length > MAX_PROGRAM_BYTES) throw invalid(`a program is 1 byte to ${MAX_PROGRAM_BYTES / 1048576} MiB`);
    const pem = await this.ctx.store.settings.get(VENDOR_KEY_SETTING);
    if (!pem) throw new ServiceError('conflict', 'register the vendor public key first (fleetrelay firmware key set)');
    if (!verifyProgram(u.program, u.signature, vendorKey(pem))) throw invalid('the signature does not verify with the vendor key: the program was not signed by the vendor, or was changed');
    const sha256 = sha256Hex(u.program);
    const staged = this.ctx.store.blobs.stagingFile('firmware', sha256);
    writeFileSync(staged, u.program, { mode: 0o600 });
    await this.ctx.store.blobs.putFile('firmware', sha256, staged);
    const f: Firmware = {
      id: newId(this.ctx.random, 'fw-', 8),
      model: u.model,
      version: u.version,
      size: u.program.length,
      sha256,
      signature: u.signature,
      rolloutPercent: 0,
      uploadedAt: this.ctx.clock.now(),
      uploadedBy: actorName(p),
    };
    await this.ctx.store.firmware.insert(f);
    await audit(this.ctx, p, 'firmware.upload', f.id, null, { model: f.model, version: f.version, sha256 });
    return f;
  }

  async rollout(p: Principal, model: string, version: string, percent: number): Promise<Firmware> {
    adminOnly(p);
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw invalid('percent is 0 to 100');
    const f = await this.ctx.store.firmware.byModelVersion(model, version);
    if (!f) throw notFound(`firmware ${model} ${version}`);
    await this.ctx.store.firmware.setRollout(f.id, percent);
    await audit(this.ctx, p, 'firmware.rollout', f.id, null, { model, version, percent });
    return { ...f, rolloutPercent: percent };
  }

  list(): Promise<Firmware[]> {
    return this.ctx.store.firmware.list();
  }

  /**
   * Each model's devices by the version they run, against the model's target (its newest program
   * offered), for the devices the principal may see; models without a program have no target.
   */
  async compliance(p: Principal): Promise<ModelCompliance[]> {
    const [programs, running] = await Promise.all([this.list(), this.ctx.store.firmware.running(accountScope(p))]);
    const models = new Map<string, ModelCompliance>();
    for (const r of running) {
      let m = models.get(r.model);
      if (!m) {
        const target = targetOf(programs.filter((f) => f.model === r.model));
        models.set(r.model, (m = { model: r.model, target, versions: [] }));
      }
      m.versions.push({ version: r.version, devices: r.devices, state: m.target ? complianceOf(r.version, m.target.version) : 'unknown' });
    }
    for (const m of models.values()) m.versions.sort((a, b) => (a.version === null ? 1 : b.version === null ? -1 : compareVersions(b.version, a.version)));
    return [...models.values()];
  }

  /**
   * Assigns a device a version of its model's programs (null: none): its next update check is
   * offered that program when it runs an older one, whatever the rollout says.
   */
  async assign(p: Principal, deviceId: string, version: string | null): Promise<void> {
    const d = await this.ctx.store.devices.get(deviceId);
    if (!d || !canSeeAccount(p, d.accountId)) throw notFound(`device ${deviceId}`);
    if (version !== null && !(await this.ctx.store.firmware.byModelVersion(d.model, version))) throw invalid(`there is no program ${version} for ${d.model}`);
    await this.ctx.store.firmware.setDeviceTarget(d.id, version);
    await audit(this.ctx, p, 'firmware.assign', d.id, d.accountId, { version });
  }

  /** The programs sent to a device in its update checks, newest first, and its model's target. */
  async deviceHistory(p: Principal, deviceId: string): Promise<{ sent: { firmwareId: string; version: string; reception: number; sentAt: number }[]; target: Firmware | null }> {
    const d = await this.ctx.store.devices.get(deviceId);
    if (!d || !canSeeAccount(p, d.accountId)) throw notFound(`device ${deviceId}`);
    const [sent, programs] = await Promise.all([this.ctx.store.firmware.history(d.id), this.ctx.store.firmware.forModel(d.model)]);
    return { sent: [...sent].sort((a, b) => b.sentAt - a.sentAt), target: targetOf(programs) };
  }

  /**
   * The device's update check (seed 004 state 6): records the version it runs, and returns the newer
   * program its rollout includes, if any, with its bytes — checked against the stored SHA-256,
   * so a program changed in the store is never sent.
   */
  async check(d: Device, current: string | null): Promise<{ firmware: Firmware; program: Buffer } | null> {
    if (current !== null) {
      if (!isVersion(current)) throw invalid('the current version is up to four dot-separated numbers');
      if (current !== d.firmwareVersion) await this.ctx.store.firmware.setDeviceVersion(d.id, current);
    }
    const f = pickUpdate(await this.ctx.store.firmware.forModel(d.model), d.id, d.model, current ?? d.firmwareVersion, d.firmwareTarget);
    if (!f) return null;
    return { firmware: f, program: await this.program(f) };
  }

  async recordSent(d: Device, f: Firmware, reception: number): Promise<void> {
    await this.ctx.store.firmware.recordSent(d.id, f, reception, this.ctx.clock.now());
  }

  /** A program sent to this device before (JSON devices download it after the check). */
  async download(d: Device, firmwareId: string): Promise<{ firmware: Firmware; program: Buffer }> {
    const sent = (await this.ctx.store.firmware.history(d.id)).some((h) => h.firmwareId === firmwareId);
    const f = sent ? await this.ctx.store.firmware.get(firmwareId) : null;
    if (!f) throw notFound(`firmware ${firmwareId.slice(0, 40)}`);
    return { firmware: f, program: await this.program(f) };
  }

  async vendorPublicKey(): Promise<string | null> {
    return this.ctx.store.settings.get(VENDOR_KEY_SETTING);
  }

  /** Whole in memory: the device protocol sends a program inline. */
  private async program(f: Firmware): Promise<Buffer> {
    const program = await this.ctx.store.blobs.read('firmware', f.sha256).then(buffer, (err: unknown) => {
      throw err instanceof BlobNotFoundError ? new ServiceError('internal', `stored program ${f.model} ${f.version} is missing; not sent`) : err;
    });
    if (sha256Hex(program) !== f.sha256) throw new ServiceError('internal', `stored program ${f.model} ${f.version} does not match its SHA-256; not sent`);
    return program;
  }
}
