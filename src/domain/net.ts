import { isIP } from 'node:net';

/**
 * The IPv4 address an IPv6 address carries, for the forms that reach an IPv4 host:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4
 * (2002:AABB:CCDD::/48). Null for other IPv6 addresses. Pure.
 */
export function embeddedIPv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (zeros(0, 5) && g[5] === 0xffff) return v4(g[6]!, g[7]!); // mapped
  if (zeros(0, 6) && (g[6] !== 0 || g[7]! > 1)) return v4(g[6]!, g[7]!); // compatible (not :: or ::1)
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6]!, g[7]!); // NAT64
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!); // 6to4
  return null;
}

/**
 * Whether an address is one a webhook must not reach unless allowed: loopback, private
 * (RFC 1918, RFC 4193), link-local, carrier-grade NAT, benchmarking, unspecified, multicast,
 * reserved, Teredo, or any IPv6 form that carries such an IPv4 address. Anything that is not an
 * address at all counts as private. Pure.
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const v = isIP(bare);
  if (v === 4) {
    const [a, b] = bare.split('.').map(Number) as [number, number];
    return (
      a === 0 || a === 10 || a === 127 || a >= 224 ||
      (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 192 && b === 0 && bare.split('.')[2] === '0') || (a === 198 && (b === 18 || b === 19))
    );
  }
  if (v !== 6) return true;
  const inner = embeddedIPv4(bare);
  if (inner) return isPrivateAddress(inner);
  const g = ipv6Groups(bare)!;
  const unspecifiedOrLoopback = g.slice(0, 7).every((x) => x === 0) && g[7]! <= 1;
  const uniqueLocal = (g[0]! & 0xfe00) === 0xfc00;
  const linkLocal = (g[0]! & 0xffc0) === 0xfe80;
  const multicast = (g[0]! & 0xff00) === 0xff00;
  const teredo = g[0] === 0x2001 && g[1] === 0; // 2001::/32 hides an IPv4 address
  return unspecifiedOrLoopback || uniqueLocal || linkLocal || multicast || teredo;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail allowed), or null. */
function ipv6Groups(address: string): number[] | null {
  let a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '').toLowerCase();
  if (isIP(a) !== 6) return null;
  a = a.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, p, q, r, s) => `${((+p << 8) | +q).toString(16)}:${((+r << 8) | +s).toString(16)}`);
  const hex = (part: string): number[] => (part ? part.split(':').map((x) => parseInt(x, 16)) : []);
  const [left, right] = a.split('::') as [string, string | undefined];
  if (right === undefined) return hex(left);
  const l = hex(left);
  const r = hex(right);
  return [...l, ...Array<number>(8 - l.length - r.length).fill(0), ...r];
}
