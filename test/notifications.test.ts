import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { captureSmtp } from './helpers/smtp.js';
import { adminToken, api, cliJson, startRelay, until, type RelayProcess } from './helpers/relay.js';


describe('notifications: e-mail over a real SMTP exchange, signed webhooks with retries', () => {
  const hooks: { headers: Record<string, string | string[] | undefined>; body: string; answered: number }[] = [];
  let smtp: Awaited<ReturnType<typeof captureSmtp>>;
  let receiver: Server;
  let relay: RelayProcess;
  let admin: string;
  let failNext = 1;

  before(async () => {
    smtp = await captureSmtp();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const status = failNext-- > 0 ? 500 : 204;
        hooks.push({ headers: req.headers, body, answered: status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    relay = await startRelay({ args: ['--smtp-url', smtp.url, '--notify-email', 'ops@example.com', '--allow-private-webhooks'] });
    admin = adminToken(relay.dataDir);
  });
  after(async () => {
    await relay.stop();
    await smtp.close();
    receiver.close();
  });

  it('mails toner low to the operators and the installing person, once until resolved; other alerts to operators only', async () => {
    const d = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'MAIL-1', '--model', 'MP C3004']);
    cliJson(relay.dataDir, ['device', 'update', d.deviceId, '--contact-email', 'dana@example.com', '--place', '3F copy room']);
    await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '341' } });
    const toner = await until('the toner mail', () => smtp.mails.find((m) => m.raw.includes('remaining amount of toner is low')));
    assert.deepEqual(toner.to.sort(), ['dana@example.com', 'ops@example.com']);
    assert.match(toner.raw, /3F copy room/);
    await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '341' } });
    await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '784' } });
    const drum = await until('the drum mail', () => smtp.mails.find((m) => m.raw.includes('fixing drum')));
    assert.deepEqual(drum.to, ['ops@example.com']);
    assert.equal(smtp.mails.filter((m) => m.raw.includes('remaining amount of toner is low')).length, 1, 'a repeat of an open alert mails nobody');
  });

  it('delivers signed webhooks for alerts and orders, retrying after a failure', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const created = await api(relay.url, '/api/v1/webhooks', { method: 'POST', token: admin, json: { url, events: ['alert.opened', 'order.received'] } });
    assert.equal(created.status, 201, created.text);
    const secret = created.body.secret as string;
    assert.match(secret, /^whsec_/);
    assert.ok(!('secret' in (await api(relay.url, '/api/v1/webhooks', { token: admin })).body.items[0]));

    const d = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'HOOK-1', '--model', 'MP C3004']);
    await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'user-report', text: 'paper smells burnt' } });
    const ok = await until('a delivered alert', () => hooks.find((h) => h.answered === 204 && h.body.includes('alert.opened')));
    assert.ok(hooks.some((h) => h.answered === 500 && h.body === ok.body), 'the first attempt failed and the same body was sent again');
    const sig = createHmac('sha256', secret).update(`${ok.headers['x-fleetrelay-timestamp']}.${ok.body}`).digest('hex');
    assert.equal(ok.headers['x-fleetrelay-signature'], `sha256=${sig}`);
    const evt = JSON.parse(ok.body);
    assert.equal(evt.event, 'alert.opened');
    assert.equal(evt.data.description, 'paper smells burnt');

    await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'order', code: 'Type2', quantity: 2 } });
    const order = await until('an order webhook', () => hooks.find((h) => h.body.includes('order.received')));
    assert.deepEqual([JSON.parse(order.body).data.part, JSON.parse(order.body).data.quantity], ['toner bottle', 2]);
    await until('the order mail', () => smtp.mails.find((m) => m.raw.includes('toner bottle')));
  });
});

describe('webhook targets', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay();
  });
  after(() => relay.stop());

  it('refuses loopback, private (in every IPv6 spelling), unresolvable and non-HTTP targets unless allowed', async () => {
    const admin = adminToken(relay.dataDir);
    const mappedAndTunnelled = ['http://[::ffff:127.0.0.1]:8080/x', 'http://[::ffff:a9fe:a9fe]/latest', 'http://[::ffff:10.0.0.1]/x', 'http://[::127.0.0.1]/x', 'http://[64:ff9b::7f00:1]/x', 'http://[2002:7f00:1::1]/x'];
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://10.1.2.3/x', 'http://192.168.1.1/x', 'http://[::1]/x', 'http://169.254.169.254/latest', ...mappedAndTunnelled, 'http://no-such-host.invalid/x', 'ftp://example.com/x', 'not a url', 'http://user:pw@example.com/'])
      assertProblem(await api(relay.url, '/api/v1/webhooks', { method: 'POST', token: admin, json: { url, events: ['alert.opened'] } }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/webhooks', { method: 'POST', token: admin, json: { url: 'https://93.184.216.34/x', events: ['nope'] } }), 400, 'validation-failed');
    assert.deepEqual((await api(relay.url, '/api/v1/webhooks', { token: admin })).body.items, []);
  });
});

describe('the outbox across a restart', () => {
  it('delivers a webhook whose receiver was down after the relay restarts, with the same body', async () => {
    const calls: { body: string; answered: number }[] = [];
    let up = false;
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls.push({ body, answered: up ? 204 : 503 });
        res.writeHead(up ? 204 : 503).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const args = ['--allow-private-webhooks'];
    let relay = await startRelay({ args });
    try {
      const admin = adminToken(relay.dataDir);
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      assert.equal((await api(relay.url, '/api/v1/webhooks', { method: 'POST', token: admin, json: { url, events: ['alert.opened'] } })).status, 201);
      const d = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'OUTBOX-1', '--model', 'MP C3004']);
      await api(relay.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'user-report', text: 'tray 2 rattles' } });
      const failed = await until('the first attempt, refused', () => calls.find((c) => c.answered === 503));
      await relay.stop();
      const metrics = () => api(relay.url, '/metrics', { token: admin }).then((r) => r.text);
      up = true;
      relay = await startRelay({ dataDir: relay.dataDir, args });
      const delivered = await until('delivered after the restart', () => calls.find((c) => c.answered === 204), 40_000);
      assert.equal(delivered.body, failed.body);
      assert.match(JSON.parse(delivered.body).data.description, /tray 2 rattles/);
      await until('the outbox empty', async () => (/^fleetrelay_outbox_waiting 0$/m.test(await metrics()) ? true : undefined));
    } finally {
      await relay.stop();
      receiver.close();
    }
  });
});
