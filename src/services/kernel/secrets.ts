import { createHash, randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { base32 } from '../../domain/identifiers.js';

/** Injected randomness. Secrets are 256 bits; identifiers are opaque but need not be secret. */
export interface Random {
  bytes(n: number): Buffer;
  /** A uniformly drawn decimal string of `digits` digits. */
  digits(digits: number): string;
}

/**
 * The operating system's randomness. Small draws (ids, request ids) come from a pool refilled
 * 4 KiB at a time: one syscall per ~270 ids. Each call makes its own pool.
 */
export function cryptoRandom(): Random {
  const POOL_SIZE = 4096;
  let pool = Buffer.alloc(0);
  let offset = 0;
  return {
    bytes(n) {
      if (n > 64) return randomBytes(n);
      if (offset + n > pool.length) {
        pool = randomBytes(POOL_SIZE);
        offset = 0;
      }
      const out = Buffer.from(pool.subarray(offset, offset + n));
      offset += n;
      return out;
    },
    digits: (n) => Array.from({ length: n }, () => String(randomInt(10))).join(''),
  };
}

export function newSecret(random: Random, prefix: string): string {
  return prefix + random.bytes(32).toString('base64url');
}

export function newId(random: Random, prefix: string, bytes = 10): string {
  return prefix + base32(random.bytes(bytes));
}

/** Bearer secrets carry 256 random bits, so a fast hash is enough to store them. */
export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const scryptAsync = promisify(scrypt) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LEN = 32;

/** Passwords (chosen by people, so guessable) get a slow, memory-hard hash: scrypt N=2^15, r=8. */
export async function hashPassword(password: string, random: Random): Promise<string> {
  const salt = random.bytes(16);
  const key = await scryptAsync(password, salt, KEY_LEN, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const opts = { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem };
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, opts);
  return timingSafeEqual(actual, expected);
}

/** A hash to compare a password against when the user does not exist, so timing does not tell. */
export const DUMMY_PASSWORD_HASH = `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$AAAAAAAAAAAAAAAAAAAAAA$${'A'.repeat(43)}`;
