import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { embeddedIPv4, isPrivateAddress } from '../../src/domain/net.js';
import { createServices } from '../../src/services/index.js';
import { Outbox } from '../../src/services/kernel/outbox.js';
import { cryptoRandom } from '../../src/services/kernel/secrets.js';
import { WebhookService, type WebhookTransport } from '../../src/services/management/webhooks.js';
import { settle, testStore } from '../helpers/store.js';
import { webhookHttp } from '../../src/transports/webhook-http/client.js';
import { ManualClock } from '../helpers/clock.js';

/** Addresses a webhook must not reach, in every spelling an outside review tried, and public ones beside them. */
const ADDRESSES: [address: string, isPrivate: boolean, carries?: string][] = [
  ['127.0.0.1', true],
  ['::ffff:127.0.0.1', true, '127.0.0.1'],
  ['::ffff:7f00:1', true, '127.0.0.1'],
  ['[::ffff:7f00:1]', true, '127.0.0.1'],
  ['::ffff:a9fe:a9fe', true, '169.254.169.254'],
  ['::ffff:10.0.0.1', true, '10.0.0.1'],
  ['::127.0.0.1', true, '127.0.0.1'],
  ['::7f00:1', true, '127.0.0.1'],
  ['64:ff9b::7f00:1', true, '127.0.0.1'],
  ['64:ff9b::10.1.2.3', true, '10.1.2.3'],
  ['2002:7f00:1::', true, '127.0.0.1'],
  ['2002:c0a8:101::1', true, '192.168.1.1'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', true],
  ['::1', true],
  ['::', true],
  ['fe80::1', true],
  ['fd12:3456::1', true],
  ['ff02::1', true],
  ['100.64.0.1', true],
  ['198.18.0.1', true],
  ['224.0.0.1', true],
  ['not an address', true],
  ['93.184.216.34', false],
  ['::ffff:93.184.216.34', false, '93.184.216.34'],
  ['64:ff9b::5db8:d822', false, '93.184.216.34'],
  ['2002:5db8:d822::1', false, '93.184.216.34'],
  ['2606:4700:4700::1111', false],
];

describe('webhook target addresses (SSRF)', () => {
  for (const [address, isPrivate, carries] of ADDRESSES)
    it(`${address} is ${isPrivate ? 'refused' : 'allowed'}`, () => {
      assert.equal(isPrivateAddress(address), isPrivate);
      if (carries) assert.equal(embeddedIPv4(address), carries);
    });
});

describe('webhook delivery', () => {
  it('checks the address again before every attempt and posts to the address it checked (DNS rebinding)', async () => {
    const clock = new ManualClock();
    const store = await testStore(mkdtempSync(join(tmpdir(), 'webhook-')));
    const s = createServices({ store, clock, random: cryptoRandom(), domain: 'example.net' }, { registrationTtlMs: 60_000 });
    await s.accounts.ensureDefaultAccount();
    let resolvesTo = ['93.184.216.34'];
    const posts: string[] = [];
    const net: WebhookTransport = {
      addresses: async () => resolvesTo,
      post: async (_url, address) => {
        posts.push(address);
        return 204;
      },
    };
    const failures: string[] = [];
    const outbox = new Outbox(store.outbox, clock, (_kind, _m, error) => failures.push(error));
    const hooks = new WebhookService(s.ctx, outbox, net, { allowPrivate: false });
    await hooks.create({ kind: 'cli' }, { url: 'https://hooks.example.com/in', events: ['alert.opened'] });
    await hooks.emit('default', 'alert.opened', {});
    await settle();
    assert.deepEqual(posts, ['93.184.216.34']);
    resolvesTo = ['::ffff:127.0.0.1'];
    await hooks.emit('default', 'alert.opened', {});
    await settle();
    assert.deepEqual(posts, ['93.184.216.34'], 'not posted once the name points inside');
    resolvesTo = [];
    await assert.rejects(hooks.create({ kind: 'cli' }, { url: 'https://nowhere.example.com/in', events: ['alert.opened'] }), /does not resolve/);
    await store.close();
  });

  it('connects to the given address without looking the host name up, and names the host in the request', async () => {
    const got: IncomingMessage[] = [];
    const server = createServer((req, res) => {
      got.push(req);
      req.resume().on('end', () => res.writeHead(202).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const status = await webhookHttp.post(`http://hook.invalid:${port}/in`, '127.0.0.1', '{"a":1}', { 'content-type': 'application/json' });
      assert.equal(status, 202);
      assert.equal(got[0]?.headers.host, `hook.invalid:${port}`);
      await assert.rejects(webhookHttp.addresses('hook.invalid'), 'the name itself does not resolve');
    } finally {
      server.close();
    }
  });
});
