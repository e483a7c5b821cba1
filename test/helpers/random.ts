import { createHash } from 'node:crypto';
import type { Random } from '../../src/services/kernel/secrets.js';

/** Randomness that repeats for the same seed: two rigs given one make the same ids in the same order. */
export function seededRandom(seed: string): Random {
  let counter = 0;
  const bytes = (n: number): Buffer => {
    const out: Buffer[] = [];
    for (let have = 0; have < n; have += 32) out.push(createHash('sha256').update(`${seed}:${counter++}`).digest());
    return Buffer.concat(out).subarray(0, n);
  };
  return { bytes, digits: (n) => Array.from(bytes(n), (b) => String(b % 10)).join('') };
}
