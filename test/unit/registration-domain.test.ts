import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideClaim, MAX_PIN_ATTEMPTS, pollOutcome, type Registration } from '../../src/domain/registration.js';

const reg = (over: Partial<Registration> = {}): Registration => ({
  id: 'reg-1',
  serial: 'S',
  model: 'M',
  capabilities: {},
  state: 'pending',
  attempts: 0,
  deviceId: null,
  createdAt: 0,
  expiresAt: 1000,
  ...over,
});

describe('registration state machine (seed 003 T50–T60)', () => {
  it('decides a claim', () => {
    const table: [string, Partial<Registration>, boolean, number, ReturnType<typeof decideClaim>][] = [
      ['right PIN in time', {}, true, 10, { kind: 'accept' }],
      ['wrong PIN', {}, false, 10, { kind: 'wrong-pin', attemptsLeft: MAX_PIN_ATTEMPTS - 1 }],
      ['last wrong PIN locks', { attempts: MAX_PIN_ATTEMPTS - 1 }, false, 10, { kind: 'locked' }],
      ['right PIN after lock', { attempts: MAX_PIN_ATTEMPTS }, true, 10, { kind: 'locked' }],
      ['right PIN too late', {}, true, 1000, { kind: 'expired' }],
      ['already claimed', { state: 'claimed', deviceId: 'd1' }, true, 10, { kind: 'already-claimed' }],
      ['already delivered', { state: 'delivered', deviceId: 'd1' }, true, 10, { kind: 'already-claimed' }],
    ];
    for (const [name, over, pinOk, now, expected] of table) assert.deepEqual(decideClaim(reg(over), pinOk, now), expected, name);
  });

  it('decides what a poll sees', () => {
    const table: [string, Partial<Registration>, number, ReturnType<typeof pollOutcome>][] = [
      ['pending', {}, 10, { kind: 'pending' }],
      ['expired', {}, 1000, { kind: 'gone', reason: 'expired' }],
      ['claimed', { state: 'claimed', deviceId: 'd1' }, 10, { kind: 'ready', deviceId: 'd1' }],
      ['claimed but delivery window over', { state: 'claimed', deviceId: 'd1' }, 1000, { kind: 'gone', reason: 'expired' }],
      ['delivered', { state: 'delivered', deviceId: 'd1' }, 10, { kind: 'gone', reason: 'delivered' }],
      ['locked', { attempts: MAX_PIN_ATTEMPTS }, 10, { kind: 'gone', reason: 'locked' }],
    ];
    for (const [name, over, now, expected] of table) assert.deepEqual(pollOutcome(reg(over), now), expected, name);
  });
});
