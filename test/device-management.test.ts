import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ManagementAgent } from '../src/device/sim/management-agent.js';
import { PrinterMib } from '../src/device/sim/printer-mib.js';
import { JamRule, nextWeekly } from '../src/device/sdk/remote-service.js';
import { adminToken, api, cli, startRelay, type RelayProcess } from './helpers/relay.js';

describe('the device side of seed 004: supplies, jams, counters, firmware, and fleetrelay device report', () => {
  let relay: RelayProcess;
  let admin: string;
  const vendor = generateKeyPairSync('ed25519');

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
    const pem = vendor.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.equal((await api(relay.url, '/api/v1/firmware/vendor-key', { method: 'PUT', token: admin, json: { publicKey: pem } })).status, 200);
  });
  after(() => relay.stop());

  const provision = async (serial: string) =>
    (await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial, model: 'MP C3004' } })).body as { deviceId: string; token: string; vendorPublicKey: string };
  const openAlerts = async (deviceId: string) =>
    (await api(relay.url, `/api/v1/alerts?deviceId=${deviceId}`, { token: admin })).body.items.filter((a: { state: string }) => a.state !== 'resolved').map((a: { code: string }) => a.code).sort();

  it('reports toner low, then toner empty, as supplies drain; a new bottle clears both', async () => {
    const d = await provision('AGENT-1');
    const replies: string[] = [];
    const agent = new ManagementAgent({ relayUrl: relay.url, token: d.token, mib: new PrinterMib({ model: 'MP C3004', serial: 'AGENT-1' }), firmwareVersion: '1.0', onReply: (_r, reply) => replies.push(reply.type) });
    await agent.print(2000);
    assert.deepEqual(replies, []);
    await agent.print(750); // 250 of 3000 left: under 10 %
    assert.deepEqual(replies, ['consumable-low']);
    await agent.print(100);
    assert.deepEqual(replies, ['consumable-low'], 'reported once');
    await agent.print(500);
    assert.deepEqual(replies, ['consumable-low', 'part-replacement']);
    assert.deepEqual(await openAlerts(d.deviceId), ['341', '531']);
    await agent.replaceToner();
    assert.deepEqual(replies.slice(2), ['cleared', 'cleared']);
    assert.deepEqual(await openAlerts(d.deviceId), []);
  });

  it('reports toner low as well when one print job takes the toner from above low to empty', async () => {
    const d = await provision('AGENT-5');
    const replies: string[] = [];
    const agent = new ManagementAgent({ relayUrl: relay.url, token: d.token, mib: new PrinterMib({ model: 'MP C3004', serial: 'AGENT-5' }), firmwareVersion: '1.0', onReply: (_r, reply) => replies.push(reply.type) });
    await agent.print(5000);
    assert.deepEqual(replies, ['consumable-low', 'part-replacement']);
    assert.deepEqual(await openAlerts(d.deviceId), ['341', '531']);
  });

  it('predicts a feed failure when jams exceed the rule, and reports counters that add up', async () => {
    const d = await provision('AGENT-2');
    let n = 0;
    const jamsOn = new Set([3, 10, 20, 30]); // four jams: one over the rule's limit of three
    const agent = new ManagementAgent({
      relayUrl: relay.url, token: d.token, mib: new PrinterMib({ model: 'MP C3004', serial: 'AGENT-2' }), firmwareVersion: '1.0',
      jamProbability: 0.5, random: () => (jamsOn.has(n++) ? 0 : 1), jamRule: new JamRule(3, 3600_000),
    });
    await agent.print(100);
    assert.deepEqual(await openAlerts(d.deviceId), ['8']);
    const reply = await agent.reportCounters();
    assert.equal(reply.type, 'counters');
    assert.match(reply.description, /total 100, mono 70, colour 30/);
  });

  it('applies verified firmware and tells the relay its new version', async () => {
    const d = await provision('AGENT-3');
    const program = Buffer.from('firmware 1.1');
    const up = await fetch(`${relay.url}/api/v1/firmware/MP%20C3004/1.1`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream', 'x-firmware-signature': sign(null, program, vendor.privateKey).toString('base64') },
      body: program,
    });
    assert.equal(up.status, 201);
    await api(relay.url, '/api/v1/firmware/MP%20C3004/1.1/rollout', { method: 'POST', token: admin, json: { percent: 100 } });
    const agent = new ManagementAgent({ relayUrl: relay.url, token: d.token, mib: new PrinterMib({ model: 'MP C3004', serial: 'AGENT-3' }), firmwareVersion: '1.0', vendorPublicKey: d.vendorPublicKey });
    assert.equal(await agent.updateFirmware(), 'applied');
    assert.equal(agent.firmwareVersion, '1.1');
    assert.equal((await api(relay.url, `/api/v1/devices/${d.deviceId}`, { token: admin })).body.firmwareVersion, '1.1');
    assert.equal(await agent.updateFirmware(), 'none');
  });

  it('fleetrelay device report sends JSON or the seed form and prints the reception', async () => {
    const d = await provision('AGENT-4');
    const args = ['--relay', relay.url, 'device', 'report', '--device-token', d.token];
    const r1 = cli(relay.dataDir, [...args, 'user', 'streaks', 'on', 'every', 'page']);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /^reception \d+ at .*: user-report — streaks on every page$/m);
    const r2 = cli(relay.dataDir, [...args, '--form', 'order', 'Type2', '2', '--json']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(JSON.parse(r2.stdout).description, 'Type2 toner bottle × 2');
    const bad = cli(relay.dataDir, [...args, 'error', '999']);
    assert.equal(bad.code, 2, 'input the relay refuses is invalid input');
    assert.match(bad.stderr, /422.*error number 999/);
    assert.match(cli(relay.dataDir, [...args, 'counters', '1', 'x', '1']).stderr, /mono is a whole number/);
  });

  it('schedules the weekly reports for Monday 10:00', () => {
    const sunday = Date.UTC(2026, 10, 22, 12); // Sunday
    assert.equal(new Date(nextWeekly(sunday, 1, 10)).toISOString(), '2026-11-23T10:00:00.000Z');
    const mondayLate = Date.UTC(2026, 10, 23, 11);
    assert.equal(new Date(nextWeekly(mondayLate, 1, 10)).toISOString(), '2026-11-30T10:00:00.000Z');
  });
});
