import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import type { Principal } from '../../src/domain/principal.js';
import { createServices, type Services } from '../../src/services/index.js';
import { ServiceError } from '../../src/services/kernel/errors.js';
import { cryptoRandom } from '../../src/services/kernel/secrets.js';
import { KEEP_EXPIRED_MS } from '../../src/services/identity/registration.js';
import { settle, testStore } from '../helpers/store.js';

const TTL = 15 * 60_000;
const person: Principal = { kind: 'user', userId: 'usr-1', name: 'olivia', accountId: 'default', admin: false };

const problem = (name: string) => (err: unknown) => err instanceof ServiceError && err.problem === name;

describe('registration service on an injected clock', () => {
  let clock: ManualClock;
  let s: Services;

  beforeEach(async () => {
    clock = new ManualClock();
    s = createServices({ store: await testStore(), clock, random: cryptoRandom(), domain: 'example.net' }, { registrationTtlMs: TTL });
    await s.accounts.ensureDefaultAccount();
  });

  it('expires a PIN exactly at its TTL', async () => {
    const t = await s.registration.register({ serial: 'S1', model: 'M' });
    clock.advance(TTL - 1);
    assert.equal((await s.registration.poll(t.pollToken, 0)).kind, 'pending');
    clock.advance(1);
    await assert.rejects(s.registration.poll(t.pollToken, 0), problem('gone'));
    await assert.rejects(s.registration.claim(person, t.claimId, t.pin), problem('gone'));
  });

  it('a long poll wakes on the claim and hands out the token once', async () => {
    const t = await s.registration.register({ serial: 'S2', model: 'M', capabilities: { functions: ['print'] } });
    const waiting = s.registration.poll(t.pollToken, 30_000);
    const device = await s.registration.claim(person, t.claimId, t.pin);
    const r = await waiting;
    assert.equal(r.kind, 'delivered');
    assert.equal(r.kind === 'delivered' && r.credentials.deviceId, device.id);
    assert.equal(r.kind === 'delivered' && r.credentials.jid, `${device.id}@example.net`);
    await assert.rejects(s.registration.poll(t.pollToken, 0), problem('gone'));
    const authed = await s.auth.deviceToken(r.kind === 'delivered' ? r.credentials.token : '');
    assert.equal(authed?.id, device.id);
    assert.deepEqual(authed?.capabilities, { functions: ['print'] });
  });

  it('a long poll with no claim answers pending when its wait is over', async () => {
    const t = await s.registration.register({ serial: 'S3', model: 'M' });
    const waiting = s.registration.poll(t.pollToken, 20_000);
    await settle(); // let the poll reach its wait
    clock.advance(19_999);
    let done = false;
    void waiting.then(() => (done = true));
    await settle();
    assert.equal(done, false, 'still waiting before the bound');
    clock.advance(1);
    assert.equal((await waiting).kind, 'pending');
  });

  it('a claimed registration gets a delivery window even if the PIN was about to expire', async () => {
    const t = await s.registration.register({ serial: 'S4', model: 'M' });
    clock.advance(TTL - 1000);
    await s.registration.claim(person, t.claimId, t.pin);
    clock.advance(5 * 60_000);
    assert.equal((await s.registration.poll(t.pollToken, 0)).kind, 'delivered');
  });

  it('throttles one person across registrations', async () => {
    for (let i = 0; i < 3; i++) {
      const t = await s.registration.register({ serial: `T${i}`, model: 'M' });
      for (let k = 0; k < 4 && !(i === 2 && k >= 2); k++)
        await assert.rejects(s.registration.claim(person, t.claimId, t.pin === '00000000' ? '1' : '00000000'), problem('wrong-pin'));
    }
    const fresh = await s.registration.register({ serial: 'T9', model: 'M' });
    await assert.rejects(s.registration.claim(person, fresh.claimId, fresh.pin), problem('rate-limited'));
    clock.advance(15 * 60_000);
    const later = await s.registration.register({ serial: 'T10', model: 'M' });
    assert.ok(await s.registration.claim(person, later.claimId, later.pin));
  });

  it('forgets expired registrations a day later', async () => {
    const t = await s.registration.register({ serial: 'S5', model: 'M' });
    clock.advance(TTL + KEEP_EXPIRED_MS - 1);
    assert.equal(await s.registration.sweep(), 0);
    await assert.rejects(s.registration.poll(t.pollToken, 0), problem('gone'));
    clock.advance(2);
    assert.equal(await s.registration.sweep(), 1);
    await assert.rejects(s.registration.poll(t.pollToken, 0), problem('not-found'));
  });
});
