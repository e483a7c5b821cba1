import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { base32, isDeviceId } from '../../src/domain/identifiers.js';
import { RateLimiter } from '../../src/services/kernel/rate-limit.js';

describe('rate limiter', () => {
  it('blocks past the limit until the window ends', () => {
    const clock = new ManualClock();
    const l = new RateLimiter(clock, 3, 60_000);
    assert.deepEqual([l.hit('a'), l.hit('a'), l.hit('a'), l.hit('a')], [false, false, false, true]);
    assert.ok(l.blocked('a'));
    assert.ok(!l.blocked('b'));
    assert.equal(l.retryAfter('a'), 60);
    clock.advance(60_000);
    assert.ok(!l.blocked('a'));
  });

  it('keeps at most maxKeys windows', () => {
    const l = new RateLimiter(new ManualClock(), 1, 60_000, 100);
    for (let i = 0; i < 1000; i++) l.hit(`k${i}`);
    assert.ok(!l.blocked('k0'), 'the oldest windows were dropped');
    l.hit('k999');
    assert.ok(l.blocked('k999'));
  });
});

describe('identifiers', () => {
  it('base32 is lowercase and JID-safe', () => {
    assert.equal(base32(Buffer.from([0xff, 0x00, 0x10])), '74aba');
    for (let i = 0; i < 50; i++) assert.ok(isDeviceId('d' + base32(Buffer.from(Array.from({ length: 10 }, () => Math.floor(Math.random() * 256))))));
  });
});
