import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminToken, api, cli, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

describe('alerts, printers and webhooks from the CLI, through the running relay (issue 15)', () => {
  let relay: RelayProcess;
  let args: string[];
  let device: { deviceId: string; token: string };

  before(async () => {
    relay = await startRelay();
    args = ['--relay', relay.url, '--token', adminToken(relay.dataDir)];
    device = cliJson(relay.dataDir, ['device', 'add', '--serial', 'OPS-1', '--model', 'MP C3004']);
    assert.equal((await api(relay.url, '/device/v1/reports', { method: 'POST', token: device.token, json: { kind: 'error', code: '341' } })).status, 200);
    assert.equal((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: device.token, json: { acceptingJobs: true, status: 'idle' } })).status, 200);
  });
  after(() => relay.stop());

  it('lists open alerts, acknowledges and resolves one', () => {
    const open = cliJson<{ items: { id: number; serial: string; description: string }[] }>(relay.dataDir, [...args, 'alerts', '--json']);
    assert.deepEqual(open.items.map((a) => [a.serial, a.description]), [['OPS-1', 'remaining amount of toner is low']]);
    const table = cli(relay.dataDir, [...args, 'alerts']);
    assert.match(table.stdout, /^ID\s+STATE\s+TYPE\s+DESCRIPTION/m);
    const id = String(open.items[0]!.id);
    assert.match(cli(relay.dataDir, [...args, 'alert', 'acknowledge', id]).stdout, new RegExp(`${id}\\s+acknowledged`));
    assert.equal(cliJson<{ items: unknown[] }>(relay.dataDir, [...args, 'alerts', '--state', 'acknowledged', '--json']).items.length, 1);
    assert.match(cli(relay.dataDir, [...args, 'alert', 'resolve', id]).stdout, new RegExp(`${id}\\s+resolved`));
    const again = cli(relay.dataDir, [...args, 'alert', 'resolve', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /409/);
  });

  it("shows in a device's status what the printer last said of itself", () => {
    const s = cliJson<{ printer: { acceptingJobs: boolean; status: string } | null; transport: string | null }>(relay.dataDir, ['device', 'status', device.deviceId, '--json']);
    assert.deepEqual([s.printer?.acceptingJobs, s.printer?.status, s.transport], [true, 'idle', null]);
  });

  it('lists printers with their accepting-jobs flag', () => {
    const r = cliJson<{ items: { printerId: string; acceptingJobs: boolean; status: string }[] }>(relay.dataDir, [...args, 'printers', '--json']);
    assert.deepEqual(r.items.map((p) => [p.printerId, p.acceptingJobs, p.status]), [[device.deviceId, true, 'idle']]);
  });

  it('adds, lists and removes a webhook; a private target is refused', () => {
    const added = cliJson<{ id: string; secret: string }>(relay.dataDir, [...args, 'webhook', 'add', 'https://203.0.113.10/hooks/fleet', '--events', 'alert.opened', '--json']);
    assert.ok(added.secret.length >= 32);
    assert.match(cli(relay.dataDir, [...args, 'webhooks']).stdout, /https:\/\/203\.0\.113\.10\/hooks\/fleet\s+alert\.opened/);
    const refused = cli(relay.dataDir, [...args, 'webhook', 'add', 'http://127.0.0.1:9/x', '--events', 'alert.opened']);
    assert.equal(refused.code, 2, 'refused input');
    assert.match(refused.stderr, /400/);
    assert.match(cli(relay.dataDir, [...args, 'webhook', 'remove', added.id]).stdout, /removed/);
    assert.deepEqual(cliJson<{ items: unknown[] }>(relay.dataDir, [...args, 'webhooks', '--json']).items, []);
  });
});

describe("an account's status settings and bulk firmware assignment from the CLI (issue 15)", () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay();
  });
  after(() => relay.stop());

  it('sets an account’s poll interval and supply-low mark, refuses what is out of range, and shows them', () => {
    const set = cliJson<{ id: string; statusPollSeconds: number | null; supplyLowPercent: number }>(relay.dataDir, ['account', 'set', 'default', '--status-poll', '120', '--supply-low', '15', '--json']);
    assert.deepEqual([set.statusPollSeconds, set.supplyLowPercent], [120, 15]);
    const tooOften = cli(relay.dataDir, ['account', 'set', 'default', '--status-poll', '5']);
    assert.equal(tooOften.code, 2);
    assert.match(tooOften.stderr, /60 to 604800 seconds/);
    assert.match(cli(relay.dataDir, ['account', 'set', 'default', '--status-poll', 'default']).stdout, /status poll the relay's, supplies low at 15 %/);
    assert.match(cli(relay.dataDir, ['account', 'list']).stdout, /^default\s+Default account\s+-?\s*15/m);
  });

  it('assigns a firmware version to the devices of a model through the relay, and says which could not take it', () => {
    const args = ['--relay', relay.url, '--token', adminToken(relay.dataDir)];
    const d = cliJson<{ deviceId: string }>(relay.dataDir, ['device', 'add', '--serial', 'FW-OPS-1', '--model', 'MP C3004']);
    const r = cliJson<{ state: string; counts: { ok: number; failed: number } }>(relay.dataDir, [...args, 'bulk', 'firmware', '9.9', '--device', d.deviceId, '--wait', '--json']);
    assert.deepEqual([r.state, r.counts.failed], ['done', 1], 'no such program for the model');
    const none = cli(relay.dataDir, [...args, 'bulk', 'firmware', '9.9']);
    assert.equal(none.code, 2, 'no devices chosen');
  });
});
