import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../helpers/clock.js';
import { LEASE_MS, Outbox, RETRY_S } from '../../src/services/kernel/outbox.js';
import { settle, testStore } from '../helpers/store.js';

async function setup(dir = mkdtempSync(join(tmpdir(), 'outbox-'))) {
  const store = await testStore(dir);
  const clock = new ManualClock();
  const givenUp: { kind: string; message: unknown; error: string }[] = [];
  const outbox = new Outbox(store.outbox, clock, (kind, message, error) => givenUp.push({ kind, message, error }));
  return { dir, store, clock, outbox, givenUp };
}

describe('the outbox: mails and webhook calls stored, attempted, retried with back-off (injected clock)', () => {
  it('sends at once; a failure is retried after 1, 5, 30, 120 and 600 s, then given up and removed', async () => {
    const { clock, outbox, givenUp, store } = await setup();
    const attempts: number[] = [];
    outbox.handle('webhook', async () => {
      attempts.push(clock.now());
      throw new Error('HTTP 503');
    });
    await outbox.start();
    const t0 = clock.now();
    await outbox.add('webhook', { hookId: 'wh-1', event: 'alert.opened', body: '{}' });
    await settle();
    for (const s of RETRY_S) {
      clock.advance(s * 1000 - 1);
      await settle();
      const before = attempts.length;
      clock.advance(1000); // the poll runs every second
      await settle();
      assert.equal(attempts.length, before + 1, `retried after ${s} s`);
    }
    assert.equal(attempts.length, 6);
    assert.ok(attempts[1]! - t0 >= 1000 && attempts[5]! - t0 >= (1 + 5 + 30 + 120 + 600) * 1000);
    assert.deepEqual(givenUp.map((g) => [g.kind, g.error]), [['webhook', 'HTTP 503']]);
    assert.equal(await store.outbox.count(), 0);
    assert.equal(outbox.waiting, 0);
    outbox.stop();
  });

  it('keeps what was not sent across a restart, and sends it then', async () => {
    const first = await setup();
    first.outbox.handle('mail', async () => {
      throw new Error('connection refused');
    });
    await first.outbox.start();
    await first.outbox.add('mail', { to: ['ops@example.com'], subject: 'toner low', text: '…' });
    await settle();
    first.outbox.stop();
    await first.store.close();

    const again = await setup(first.dir);
    const sent: unknown[] = [];
    again.outbox.mailer({ send: async (m) => void sent.push(m) });
    await again.outbox.start();
    assert.equal(again.outbox.waiting, 1);
    again.clock.advance(1000);
    await settle();
    assert.deepEqual(sent, [{ to: ['ops@example.com'], subject: 'toner low', text: '…' }]);
    assert.equal(again.outbox.waiting, 0);
    again.outbox.stop();
  });

  it('gives up at once on a kind nothing sends (mail left from a run that had outbound mail)', async () => {
    const { clock, outbox, givenUp } = await setup();
    await outbox.start();
    await outbox.add('mail', { to: ['a@example.com'], subject: 's', text: 't' });
    clock.advance(1000);
    await settle();
    assert.match(givenUp[0]?.error ?? '', /nothing sends mail here/);
    assert.equal(outbox.waiting, 0);
    outbox.stop();
  });
});

describe('the outbox on a store two relays share', () => {
  it('each entry is attempted by one relay, not both; one a relay died holding is retried by the other after the lease', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-shared-'));
    const clock = new ManualClock();
    const stores = [await testStore(dir), await testStore(dir)];
    const relays = stores.map((s) => new Outbox(s.outbox, clock, () => undefined));
    const sentBy: string[][] = [[], []];
    relays.forEach((o, i) => o.handle('webhook', async (m) => void sentBy[i]!.push((m as { n: string }).n)));
    for (let n = 0; n < 40; n++) await stores[0]!.outbox.add('webhook', JSON.stringify({ n: String(n) }), clock.now());
    await Promise.all(relays.map((o) => o.start()));
    clock.advance(1000);
    await settle();
    const all = [...sentBy[0]!, ...sentBy[1]!].sort((a, b) => Number(a) - Number(b));
    assert.deepEqual(all, Array.from({ length: 40 }, (_, n) => String(n)), 'every entry once, none twice');
    relays.forEach((o) => o.stop());

    // A relay takes an entry and dies before it is done: the other one sends it once the lease is up.
    const dying = new Outbox(stores[0]!.outbox, clock, () => undefined);
    dying.handle('webhook', () => new Promise<void>(() => undefined));
    const survivor = new Outbox(stores[1]!.outbox, clock, () => undefined);
    const late: unknown[] = [];
    survivor.handle('webhook', async (m) => void late.push(m));
    await stores[0]!.outbox.add('webhook', JSON.stringify({ n: 'last' }), clock.now());
    await dying.start();
    await settle();
    dying.stop();
    await survivor.start();
    clock.advance(LEASE_MS - 1000);
    await settle();
    assert.deepEqual(late, [], 'not while the lease holds');
    clock.advance(2000);
    await settle();
    assert.deepEqual(late, [{ n: 'last' }]);
    survivor.stop();
    await Promise.all(stores.map((s) => s.close()));
  });
});
