import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** Firmware versions and staged rollouts (seed 004 state 6, the program update check). Pure but for the crypto primitives. */

export const VERSION_PATTERN = '^\\d{1,9}(\\.\\d{1,9}){0,3}$';
const versionRe = new RegExp(VERSION_PATTERN);

export const isVersion = (v: string): boolean => versionRe.test(v);

/** Dotted numeric versions, compared part by part: 1.10 > 1.9, 2 = 2.0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** A device's stable place 0–99 in a version's rollout: the same device stays in as the percentage grows. */
export function rolloutBucket(deviceId: string, model: string, version: string): number {
  return createHash('sha256').update(`${model}\0${version}\0${deviceId}`).digest().readUInt32BE(0) % 100;
}

/**
 * The program assigned to the device when it runs an older version; else the newest program for
 * the model above the device's version whose rollout includes the device.
 */
export function pickUpdate<T extends { version: string; rolloutPercent: number }>(programs: T[], deviceId: string, model: string, current: string | null, assigned: string | null = null): T | null {
  const pinned = assigned === null ? undefined : programs.find((p) => p.version === assigned);
  if (pinned && (current === null || compareVersions(pinned.version, current) > 0)) return pinned;
  let best: T | null = null;
  for (const p of programs) {
    if (current !== null && compareVersions(p.version, current) <= 0) continue;
    if (rolloutBucket(deviceId, model, p.version) >= p.rolloutPercent) continue;
    if (!best || compareVersions(p.version, best.version) > 0) best = p;
  }
  return best;
}

/** The vendor's Ed25519 public key from PEM (SPKI) or base64 of the raw 32 bytes. */
export function vendorKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) {
    const k = createPublicKey(t);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error('the vendor key must be Ed25519');
    return k;
  }
  const raw = Buffer.from(t, 'base64');
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes (base64) or PEM');
  return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
}

export function verifyProgram(program: Buffer, signatureBase64: string, key: KeyObject): boolean {
  const sig = Buffer.from(signatureBase64, 'base64');
  return sig.length === 64 && verify(null, program, key, sig);
}

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export interface Firmware {
  id: string;
  model: string;
  version: string;
  size: number;
  sha256: string;
  /** Ed25519 signature of the program by the vendor's key, base64. */
  signature: string;
  rolloutPercent: number;
  uploadedAt: number;
  uploadedBy: string;
}

/** Where a device stands against its model's target (the newest version offered): on it (or past it), behind it, or not known. */
export type Compliance = 'current' | 'behind' | 'unknown';

export function complianceOf(running: string | null, target: string): Compliance {
  if (running === null) return 'unknown';
  return compareVersions(running, target) >= 0 ? 'current' : 'behind';
}

/** A model's target: its newest program offered to some of its devices (rollout above 0 %), or null. */
export function targetOf<T extends { version: string; rolloutPercent: number }>(programs: T[]): T | null {
  return programs.filter((p) => p.rolloutPercent > 0).reduce<T | null>((best, p) => (!best || compareVersions(p.version, best.version) > 0 ? p : best), null);
}
