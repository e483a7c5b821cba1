/**
 * Identifier shapes. A deviceId is opaque, lowercase and JID-safe (RFC 7622 localpart:
 * no '@', '/', quotes, spaces), so `<deviceId>@<domain>` is always a valid bare JID.
 */

export const DEVICE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{2,63}$';
export const ACCOUNT_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,31}$';
export const USER_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** Serial numbers and model names: printable ASCII, as printed on a rating label. */
export const LABEL_PATTERN = '^[\\x20-\\x7E]{1,64}$';

const deviceIdRe = new RegExp(DEVICE_ID_PATTERN);
const accountIdRe = new RegExp(ACCOUNT_ID_PATTERN);
const userNameRe = new RegExp(USER_NAME_PATTERN);
const labelRe = new RegExp(LABEL_PATTERN);

export const isDeviceId = (s: string): boolean => deviceIdRe.test(s);
export const isAccountId = (s: string): boolean => accountIdRe.test(s);
export const isUserName = (s: string): boolean => userNameRe.test(s);
export const isLabel = (s: string): boolean => labelRe.test(s) && s.trim() === s;

export function deviceJid(deviceId: string, domain: string): string {
  return `${deviceId}@${domain}`;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** Lowercase base32 of random bytes: JID-safe, URL-safe, case-insensitive-safe. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}
