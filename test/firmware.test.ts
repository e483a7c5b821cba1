import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkFirmware } from '../src/device/sdk/firmware.js';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, tempDir, type RelayProcess } from './helpers/relay.js';
import { blobKeys, storeSql, tamperBlob } from './helpers/store.js';

const vendor = generateKeyPairSync('ed25519');
const vendorPem = vendor.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const signed = (program: Buffer): string => sign(null, program, vendor.privateKey).toString('base64');

describe('firmware (seed 004 state 6): signed uploads, staged rollout, devices verify', () => {
  let relay: RelayProcess;
  let admin: string;
  const fleet: { deviceId: string; token: string; vendorPublicKey?: string }[] = [];
  const v2 = Buffer.from('MP C3004 controller firmware 2.0 '.repeat(1000));

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
  });
  after(() => relay.stop());

  it('needs the vendor key before uploads, and hands it to devices provisioned after', async () => {
    const early = await api(relay.url, '/api/v1/firmware/MP%20C3004/2.0', { method: 'PUT', token: admin, body: v2.toString('latin1'), headers: { 'content-type': 'application/octet-stream', 'x-firmware-signature': signed(v2) } });
    assertProblem(early, 409, 'conflict');
    const keyFile = join(tempDir(), 'vendor.pem');
    writeFileSync(keyFile, vendorPem);
    assert.equal(cli(relay.dataDir, ['firmware', 'key', 'set', keyFile]).code, 0);
    assert.equal(cliJson<{ vendorPublicKey: string }>(relay.dataDir, ['device', 'add', '--serial', 'FW-CLI', '--model', 'MP C3004']).vendorPublicKey.trim(), vendorPem.trim());
    for (let i = 0; i < 40; i++) fleet.push((await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: `FW-${i}`, model: 'MP C3004' } })).body);
    assert.equal(fleet[0]!.vendorPublicKey?.trim(), vendorPem.trim());
  });

  it('refuses a program whose signature does not verify, keeps one that does', async () => {
    const forged = await fetch(`${relay.url}/api/v1/firmware/MP%20C3004/2.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream', 'x-firmware-signature': signed(Buffer.from('something else')) },
      body: v2,
    });
    assert.equal(forged.status, 400);
    assert.match((await forged.json()).detail, /does not verify/);
    const ok = await fetch(`${relay.url}/api/v1/firmware/MP%20C3004/2.0`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream', 'x-firmware-signature': signed(v2) },
      body: v2,
    });
    assert.equal(ok.status, 201);
    const f = await ok.json();
    assert.equal(f.sha256, createHash('sha256').update(v2).digest('hex'));
    assert.equal(f.rolloutPercent, 0);
    const op = cliJson<{ token: string }>(relay.dataDir, ['token', 'create']).token;
    assertProblem(await api(relay.url, '/api/v1/firmware/MP%20C3004/2.0/rollout', { method: 'POST', token: op, json: { percent: 100 } }), 403, 'forbidden');
  });

  it('offers the program to the rollout percentage only, stably, and records what was sent', async () => {
    const check = (d: { token: string; vendorPublicKey?: string }, currentVersion = '1.0') =>
      checkFirmware({ relayUrl: relay.url, token: d.token, currentVersion, vendorPublicKey: d.vendorPublicKey! });
    for (const d of fleet.slice(0, 5)) assert.deepEqual(await check(d), { kind: 'none' }, 'nothing at 0 %');

    assert.equal(cli(relay.dataDir, ['firmware', 'rollout', '--model', 'MP C3004', '--version', '2.0', '--percent', '50']).code, 0);
    const at50 = await Promise.all(fleet.map((d) => check(d)));
    const updated = at50.filter((o) => o.kind === 'applied').length;
    assert.ok(updated > 5 && updated < 35, `about half the fleet got it: ${updated} of ${fleet.length}`);
    assert.ok(at50.every((o) => o.kind !== 'refused'));

    const in50 = new Set(fleet.filter((_, i) => at50[i]!.kind === 'applied').map((d) => d.deviceId));
    await api(relay.url, '/api/v1/firmware/MP%20C3004/2.0/rollout', { method: 'POST', token: admin, json: { percent: 100 } });
    const at100 = await Promise.all(fleet.map((d, i) => check(d, at50[i]!.kind === 'applied' ? '2.0' : '1.0')));
    assert.ok(at100.every((o, i) => (in50.has(fleet[i]!.deviceId) ? o.kind === 'none' : o.kind === 'applied')), 'devices already at 2.0 get nothing; the rest get it now');

    const [sent] = (await storeSql(relay.dataDir, `SELECT count(*) AS n FROM firmware_history WHERE version = '2.0'`)) as [{ n: number }];
    const versions = await storeSql(relay.dataDir, `SELECT firmware_version AS v, count(*) AS n FROM devices WHERE model = 'MP C3004' GROUP BY firmware_version ORDER BY v NULLS FIRST`);
    assert.equal(sent.n, fleet.length, 'one send per device');
    assert.deepEqual(versions, [{ v: null, n: 1 }, { v: '1.0', n: fleet.length - in50.size }, { v: '2.0', n: in50.size }]);
  });

  it('never sends a program changed on disk, and devices refuse a tampered one', async () => {
    const v3 = Buffer.from('firmware 3.0 '.repeat(500));
    assert.equal(cli(relay.dataDir, ['firmware', 'upload', '--model', 'MP C3004', '--version', '3.0', '--signature', signed(v3), writeTemp(v3)]).code, 0);
    await api(relay.url, '/api/v1/firmware/MP%20C3004/3.0/rollout', { method: 'POST', token: admin, json: { percent: 100 } });
    const sha = createHash('sha256').update(v3).digest('hex');
    assert.ok((await blobKeys(relay.dataDir, 'firmware')).includes(sha));
    await tamperBlob(relay.dataDir, 'firmware', sha, Buffer.concat([Buffer.from('backdoor'), v3.subarray(8)]));
    const d = fleet[0]!;
    await assert.rejects(checkFirmware({ relayUrl: relay.url, token: d.token, currentVersion: '2.0', vendorPublicKey: d.vendorPublicKey! }), /500.*does not match its SHA-256/s);

    // A man in the middle who swaps the program (and its digest) is caught by the signature.
    const evil = Buffer.from('evil firmware');
    const mitm = createServer((_req, res) => {
      const b = 'NextPart_x';
      const info = `time=2026-01-01T00:00:00.000Z\r\ntype=firmware\r\nreception=1\r\ndescription=controller update\r\nversion=9.9\r\nsha256=${createHash('sha256').update(evil).digest('hex')}\r\nsignature=${signed(v3)}\r\n`;
      res.writeHead(200, { 'content-type': `multipart/mixed; boundary=${b}` });
      res.end(Buffer.concat([Buffer.from(`--${b}\r\nContent-Type: text/plain\r\n\r\n${info}--${b}\r\nContent-Type: application/octet-stream\r\n\r\n`), evil, Buffer.from(`\r\n--${b}--\r\n`)]));
    });
    await new Promise<void>((r) => mitm.listen(0, '127.0.0.1', r));
    try {
      const out = await checkFirmware({ relayUrl: `http://127.0.0.1:${(mitm.address() as AddressInfo).port}`, token: d.token, currentVersion: '2.0', vendorPublicKey: d.vendorPublicKey! });
      assert.deepEqual(out, { kind: 'refused', version: '9.9', reason: 'the signature does not verify with the vendor key' });
    } finally {
      mitm.close();
    }
  });

  it('answers the JSON check with metadata and a download only for the device it was offered to', async () => {
    const v4 = Buffer.from('firmware 4.0');
    await fetch(`${relay.url}/api/v1/firmware/MP%20C3004/4.0`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream', 'x-firmware-signature': signed(v4) }, body: v4 });
    await api(relay.url, '/api/v1/firmware/MP%20C3004/4.0/rollout', { method: 'POST', token: admin, json: { percent: 100 } });
    const [a, b] = [fleet[1]!, fleet[2]!];
    const r = await api(relay.url, '/device/v1/firmware/check', { method: 'POST', token: a.token, json: { currentVersion: '3.0' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.update.version, '4.0');
    const dl = await fetch(`${relay.url}${r.body.update.downloadUrl}`, { headers: { authorization: `Bearer ${a.token}` } });
    assert.deepEqual(Buffer.from(await dl.arrayBuffer()), v4);
    assert.equal((await fetch(`${relay.url}${r.body.update.downloadUrl}`, { headers: { authorization: `Bearer ${b.token}` } })).status, 404);
    assertProblem(await api(relay.url, '/device/v1/firmware/check', { method: 'POST', token: a.token, json: { currentVersion: 'latest' } }), 400, 'validation-failed');
  });
});

function writeTemp(b: Buffer): string {
  const f = join(tempDir(), 'program.bin');
  writeFileSync(f, b);
  return f;
}
