import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudPrintSettings, type DisablePolicy } from '../../src/device/sdk/cloud-print-settings.js';
import { ManualClock } from '../helpers/clock.js';

function printer(policy: DisablePolicy, delayMs?: number) {
  const log: string[] = [];
  const clock = new ManualClock();
  const settings = new CloudPrintSettings(
    {
      sendAccepting: async (a, status) => void log.push(`accepting=${a ? 'yes' : 'no'}${status ? ` status=${status}` : ''}`),
      connect: async () => void log.push('connect'),
      disconnect: async () => void log.push('disconnect'),
    },
    clock,
    policy,
    delayMs,
  );
  return { settings, log, clock };
}

describe('printer cloud-print settings (seed 003 embodiments 1–5) on an injected clock', () => {
  it('enable: connect, acceptance, status (T120–T124)', async () => {
    const { settings, log } = printer('always');
    await settings.enable('error');
    assert.deepEqual(log, ['connect', 'accepting=yes status=error']);
  });

  it('embodiment 1: disable always sends acceptance-stop after disconnecting (T220, T222)', async () => {
    const { settings, log } = printer('always');
    await settings.enable();
    await settings.disable();
    assert.deepEqual(log.slice(2), ['disconnect', 'accepting=no']);
  });

  it('embodiment 2: the inquiry SC4 decides — yes sends "no", no keeps the server accepting', async () => {
    const a = printer('ask');
    await a.settings.enable();
    await a.settings.disable({ answer: true });
    assert.deepEqual(a.log.slice(2), ['disconnect', 'accepting=no']);
    const b = printer('ask');
    await b.settings.enable();
    await b.settings.disable({ answer: false });
    assert.deepEqual(b.log.slice(2), ['disconnect']);
  });

  it('embodiment 2 on a screen: the question stays open after the disable until answered once; an enable closes it', async () => {
    const { settings, log } = printer('ask');
    await settings.enable();
    await settings.disable();
    assert.equal(settings.inquiryPending, true);
    assert.deepEqual(log.slice(2), ['disconnect'], 'nothing sent before the answer');
    await settings.answerInquiry(true);
    assert.deepEqual(log.slice(2), ['disconnect', 'accepting=no']);
    await assert.rejects(settings.answerInquiry(true), /no question is open/);
    await settings.enable();
    await settings.disable();
    await settings.enable();
    assert.equal(settings.inquiryPending, false);
    await assert.rejects(settings.answerInquiry(true), /no question is open/);
  });

  it('embodiment 3: the SC5 checkbox makes a first-type (send "no") or second-type (keep accepting) disable', async () => {
    const a = printer('checkbox');
    await a.settings.disable({ stopAccepting: true });
    assert.deepEqual(a.log, ['disconnect', 'accepting=no']);
    const b = printer('checkbox');
    await b.settings.disable({ stopAccepting: false });
    assert.deepEqual(b.log, ['disconnect']);
  });

  it('embodiment 4: "no" only if no enable arrives within the hour; an enable in time cancels it', async () => {
    const a = printer('delayed');
    await a.settings.enable();
    await a.settings.disable();
    a.clock.advance(3600_000 - 1);
    assert.deepEqual(a.log.slice(2), ['disconnect']);
    a.clock.advance(1);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(a.log.slice(2), ['disconnect', 'accepting=no']);

    const b = printer('delayed', 600_000);
    await b.settings.enable();
    await b.settings.disable();
    b.clock.advance(300_000);
    await b.settings.enable();
    b.clock.advance(3600_000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(b.log, ['connect', 'accepting=yes status=idle', 'disconnect', 'connect', 'accepting=yes status=idle']);
  });

  it('an enable whose connection fails leaves the printer disabled, and a delayed stop still due', async () => {
    const clock = new ManualClock();
    const log: string[] = [];
    let up = true;
    const settings = new CloudPrintSettings(
      {
        sendAccepting: async (a) => void log.push(`accepting=${a ? 'yes' : 'no'}`),
        connect: async () => {
          if (!up) throw new Error('relay unreachable');
        },
        disconnect: async () => undefined,
      },
      clock,
      'delayed',
      1000,
    );
    await settings.enable();
    await settings.disable();
    up = false;
    await assert.rejects(settings.enable(), /unreachable/);
    assert.equal(settings.enabled, false);
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['accepting=yes', 'accepting=no']);
  });

  it('embodiment 5: a predicted toner shortage stops acceptance once; replacement accepts again (T646–T674)', async () => {
    const { settings, log } = printer('always');
    await settings.enable();
    assert.equal(await settings.checkResources(40, 5), false);
    assert.equal(await settings.checkResources(2, 5), true); // 5 % needed, 2 % left (the seed's example)
    assert.equal(await settings.checkResources(1, 5), true);
    await settings.resourcesRestored();
    assert.deepEqual(log.slice(2), ['accepting=no status=toner low', 'accepting=yes status=idle']);
  });
});
