import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

/** The seed's reply lines (`time=`, `type=`, `reception=`, `description=`, `request=`) as a map. */
function lines(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of text.split(/\r?\n/).filter(Boolean)) {
    const i = l.indexOf('=');
    (out[l.slice(0, i)] ??= []).push(l.slice(i + 1));
  }
  return out;
}

describe('remote-management reports (seed 004), JSON and the CGI form', () => {
  let relay: RelayProcess;
  let admin: string;
  let device: { deviceId: string; token: string };
  let legacy: { deviceId: string; token: string };

  const cgi = async (query: string, o: { token?: string; post?: boolean } = {}) => {
    const headers: Record<string, string> = o.token ? { authorization: `Bearer ${o.token}` } : {};
    const res = o.post
      ? await fetch(`${relay.url}/cgi-bin/cgi.remoteservice`, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: query })
      : await fetch(`${relay.url}/cgi-bin/cgi.remoteservice?${query}`, { headers });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), text, fields: lines(text) };
  };
  const report = (json: unknown, token = device.token) => api(relay.url, '/device/v1/reports', { method: 'POST', token, json });
  const alerts = (q = '') => api(relay.url, `/api/v1/alerts${q}`, { token: admin });

  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
    device = cliJson(relay.dataDir, ['device', 'add', '--serial', 'RM-1', '--model', 'MP C3004']);
    cliJson(relay.dataDir, ['device', 'update', device.deviceId, '--registration-number', '123456', '--place', '3F copy room', '--installer', 'Dana', '--contact', '+81 3 1234 5678']);
    legacy = cliJson(relay.dataDir, ['device', 'add', '--serial', 'RM-OLD', '--model', 'Aficio 1013']);
    cliJson(relay.dataDir, ['device', 'update', legacy.deviceId, '--registration-number', '777777', '--legacy']);
  });
  after(() => relay.stop());

  it('state 1 (P=341) in the CGI form: the reply lines, and an alert with the seed\'s display fields', async () => {
    const r = await cgi('U=123456&P=341', { token: device.token });
    assert.equal(r.status, 200, r.text);
    assert.match(r.type ?? '', /^text\/plain/);
    assert.deepEqual(r.fields.type, ['consumable-low']);
    assert.deepEqual(r.fields.description, ['toner end']);
    assert.ok(!Number.isNaN(Date.parse(r.fields.time![0]!)));
    const a = (await alerts('?state=open')).body.items.find((x: { code: string }) => x.code === '341');
    assert.equal(a.description, 'remaining amount of toner is low');
    assert.deepEqual([a.model, a.installationPlace, a.installer, a.contact, a.registrationNumber], ['MP C3004', '3F copy room', 'Dana', '+81 3 1234 5678', '123456']);
  });

  it('states 2 and 3 (P=531, P=784) in JSON; reception numbers are unique and increasing', async () => {
    const a = await report({ kind: 'error', code: '531' });
    const b = await report({ kind: 'error', code: '784' });
    assert.equal(a.status, 200, a.text);
    assert.deepEqual([a.body.type, a.body.description], ['part-replacement', 'toner bottle should be replaced']);
    assert.deepEqual([b.body.type, b.body.description], ['abnormal', 'abnormal condition in fixing drum']);
    assert.ok(b.body.reception > a.body.reception);
    const mib = await report({ kind: 'error', namespace: 'mib-alert', code: '8' });
    assert.deepEqual([mib.body.type, mib.body.description], ['abnormal', 'jam']);
  });

  it('state 4 (T=) and state 5 (E=Type2&U=2, the seed\'s literal form)', async () => {
    const t = await cgi(`U=123456&T=${encodeURIComponent('many scummings on the left edge')}`, { token: device.token, post: true });
    assert.deepEqual(t.fields.type, ['user-report']);
    assert.deepEqual(t.fields.description, ['many scummings on the left edge']);
    const e = await cgi('U=123456&E=Type2&U=2', { token: device.token });
    assert.equal(e.status, 200, e.text);
    assert.deepEqual(e.fields.type, ['order']);
    assert.deepEqual(e.fields.description, ['Type2 toner bottle × 2']);
    const q = await report({ kind: 'order', code: 'Type2', quantity: 3 });
    assert.equal(q.body.description, 'Type2 toner bottle × 3');
  });

  it('state 7 (TC/BC/CC): counters stored; a lower read is refused and nothing is stored', async () => {
    const c = await cgi('U=123456&TC=46456&BC=34842&CC=11614', { token: device.token });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.fields.type, ['counters']);
    const lower = await cgi('U=123456&TC=46000&BC=34842&CC=11614', { token: device.token });
    assert.equal(lower.status, 409);
    assert.deepEqual(lower.fields.error, ['conflict']);
    assert.match(lower.fields.description![0]!, /total counter went down from 46456 to 46000/);
    assertProblem(await report({ kind: 'counters', total: 46000, mono: 1, colour: 1 }), 409, 'conflict');
    assert.equal((await report({ kind: 'counters', total: 47000, mono: 35000, colour: 12000 })).status, 200);
    assertProblem(await report({ kind: 'counters', total: -1, mono: 1, colour: 1 }), 400, 'validation-failed');
    const nonNumeric = await cgi('U=123456&TC=lots&BC=1&CC=1', { token: device.token });
    assert.equal(nonNumeric.status, 400);
    assert.match(nonNumeric.fields.description![0]!, /TC=lots is not a number/);
  });

  it('fires an alert once until resolved, and a "cleared" report resolves it', async () => {
    await report({ kind: 'error', code: '784' });
    await report({ kind: 'error', code: '784' });
    const open = (await alerts(`?deviceId=${device.deviceId}`)).body.items.filter((x: { code: string; state: string }) => x.code === '784' && x.state !== 'resolved');
    assert.equal(open.length, 1);
    assert.equal(open[0].count, 3);
    const cleared = await cgi('U=123456&C=784', { token: device.token });
    assert.deepEqual(cleared.fields.type, ['cleared']);
    assert.deepEqual(cleared.fields.description, ['cleared 784']);
    const after = (await api(relay.url, `/api/v1/alerts?deviceId=${device.deviceId}&state=resolved`, { token: admin })).body.items;
    assert.ok(after.some((x: { code: string; resolvedBy: string }) => x.code === '784' && x.resolvedBy === `device:${device.deviceId}`));
    // The same condition again opens a new alert.
    await report({ kind: 'error', code: '784' });
    assert.equal((await alerts(`?deviceId=${device.deviceId}&state=open`)).body.items.filter((x: { code: string }) => x.code === '784').length, 1);
  });

  it('operators acknowledge and resolve alerts; other accounts see none of them', async () => {
    const a = (await alerts('?state=open')).body.items.find((x: { code: string }) => x.code === '341');
    const ack = await api(relay.url, `/api/v1/alerts/${a.id}/acknowledge`, { method: 'POST', token: admin });
    assert.equal(ack.body.state, 'acknowledged');
    assertProblem(await api(relay.url, `/api/v1/alerts/${a.id}/acknowledge`, { method: 'POST', token: admin }), 409, 'conflict');
    cliJson(relay.dataDir, ['account', 'add', 'other']);
    const other = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'other']).token;
    assert.deepEqual((await api(relay.url, '/api/v1/alerts', { token: other })).body.items, []);
    assertProblem(await api(relay.url, `/api/v1/alerts/${a.id}/resolve`, { method: 'POST', token: other }), 404, 'not-found');
    const res = await api(relay.url, `/api/v1/alerts/${a.id}/resolve`, { method: 'POST', token: admin });
    assert.equal(res.body.state, 'resolved');
    assert.match(res.body.resolvedBy, /^token:/);
  });

  it('the heartbeat (U alone) carries queued push requests down, each exactly once', async () => {
    const q = await api(relay.url, `/api/v1/devices/${device.deviceId}/get`, { method: 'POST', token: admin, json: { oids: ['1.3.6.1.2.1.1.5.0'], queue: { ttlSeconds: 600 } } });
    assert.equal(q.status, 202);
    const beat = await cgi('U=123456', { token: device.token });
    assert.deepEqual(beat.fields.type, ['heartbeat']);
    assert.deepEqual(beat.fields.request!.map((x) => JSON.parse(x)), [{ requestId: q.body.requestId, op: 'get', oids: ['1.3.6.1.2.1.1.5.0'] }]);
    assert.equal((await cgi('U=123456', { token: device.token })).fields.request, undefined);
    const json = await report({ kind: 'heartbeat' });
    assert.deepEqual(json.body.requests, []);
  });

  it('authenticates: K= works like the header, U alone only for legacy devices, a forged U is refused', async () => {
    assert.equal((await cgi(`U=123456&K=${device.token}&P=341`)).status, 200);
    const forged = await cgi('U=777777&P=341', { token: device.token });
    assert.equal(forged.status, 401);
    assert.match(forged.fields.description![0]!, /not this device's registration number/);
    const noToken = await cgi('U=123456&P=341');
    assert.equal(noToken.status, 401);
    assert.match(noToken.fields.description![0]!, /cannot report without its token/);
    const unknown = await cgi('U=999999&P=341');
    assert.equal(unknown.status, 401);
    const old = await cgi('U=777777&P=531');
    assert.equal(old.status, 200, old.text);
    assert.deepEqual(old.fields.type, ['part-replacement']);
    assertProblem(await report({ kind: 'heartbeat' }, 'frd_wrong'), 401, 'unauthorized');
  });

  it('refuses unknown codes, oversize text and malformed forms, storing nothing', async () => {
    const before = (await alerts()).body.items.length;
    const unknownError = await cgi('U=123456&P=999', { token: device.token });
    assert.equal(unknownError.status, 422);
    assert.match(unknownError.fields.description![0]!, /error number 999 is not in the code tables; nothing was stored/);
    assertProblem(await report({ kind: 'order', code: 'Type99' }), 422, 'unknown-code');
    assertProblem(await report({ kind: 'error', namespace: 'nope', code: '1' }), 422, 'unknown-code');
    const long = await cgi(`U=123456&T=${'x'.repeat(1200)}`, { token: device.token });
    assert.equal(long.status, 400);
    assert.match(long.fields.description![0]!, /longer than 1000/);
    assert.equal((await cgi('U=123456&Z=1', { token: device.token })).status, 400);
    assert.equal((await cgi('U=123456&P=341&T=both', { token: device.token })).status, 400);
    assert.equal((await cgi('U=123456&TC=1&BC=1', { token: device.token })).status, 400);
    assert.equal((await cgi('U=123456&E=Type2&U=1000', { token: device.token })).status, 400);
    const huge = await fetch(`${relay.url}/cgi-bin/cgi.remoteservice`, { method: 'POST', headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `U=123456&T=${'y'.repeat(20000)}` });
    assert.equal(huge.status, 413);
    assertProblem(await report({ kind: 'user-report', text: '   ' }), 400, 'validation-failed');
    assertProblem(await report({ kind: 'error' }), 400, 'validation-failed');
    assert.equal((await alerts()).body.items.length, before);
  });

  it('exports billing CSV over the API and the CLI, and records offsets', async () => {
    const day = (d: number) => new Date(Date.now() + d * 86400_000).toISOString().slice(0, 10);
    const offset = await api(relay.url, `/api/v1/devices/${device.deviceId}/meter-offsets`, { method: 'POST', token: admin, json: { total: 47000, mono: 35000, colour: 12000 } });
    assert.equal(offset.status, 201, offset.text);
    // After the recorded reset, a low raw read is accepted: it counts on top of the offset.
    assert.equal((await cgi('U=123456&TC=10&BC=5&CC=5', { token: device.token })).status, 200);
    const res = await fetch(`${relay.url}/api/v1/billing?from=${day(-1)}&to=${day(1)}`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const csv = await res.text();
    const [header, ...rows] = csv.trim().split('\r\n');
    assert.match(header!, /^device_id,serial,registration_number,model,installation_place,start_at,end_at,start_total,end_total,delta_total/);
    const mine = rows.find((r) => r.includes(device.deviceId))!.split(',');
    assert.deepEqual(mine.slice(7, 10), ['46456', '47010', '554']);
    const viaCli = cli(relay.dataDir, ['billing', 'export', '--from', day(-1), '--to', day(1)]);
    assert.equal(viaCli.code, 0, viaCli.stderr);
    assert.equal(viaCli.stdout, csv);
    assertProblem(await api(relay.url, `/api/v1/billing?from=${day(1)}&to=${day(-1)}`, { token: admin }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/billing?from=soon&to=later', { token: admin }), 400, 'validation-failed');
    assert.equal(cli(relay.dataDir, ['meter', 'offset', device.deviceId, '--total', 'x', '--mono', '1', '--colour', '1']).code, 2);
  });

  it('edits code tables: admins add codes devices can then report, operators cannot', async () => {
    const put = await api(relay.url, '/api/v1/codes/error/342', { method: 'PUT', token: admin, json: { kind: 'consumable-low', description: 'waste toner nearly full', reply: 'waste toner full soon' } });
    assert.equal(put.status, 200, put.text);
    const r = await report({ kind: 'error', code: '342' });
    assert.deepEqual([r.body.type, r.body.description], ['consumable-low', 'waste toner full soon']);
    const op = cliJson<{ token: string }>(relay.dataDir, ['token', 'create']).token;
    assertProblem(await api(relay.url, '/api/v1/codes/error/343', { method: 'PUT', token: op, json: { description: 'x' } }), 403, 'forbidden');
    assertProblem(await api(relay.url, '/api/v1/codes/error/343', { method: 'PUT', token: admin, json: { description: 'x', kind: 'weird' } }), 400, 'validation-failed');
    const listed = cliJson<{ code: string }[]>(relay.dataDir, ['code', 'list', 'error']);
    assert.deepEqual(listed.map((c) => c.code), ['341', '342', '531', '784']);
    assert.equal(cli(relay.dataDir, ['code', 'set', 'order', 'Type3', '--description', 'staple cartridge']).code, 0);
    assert.equal((await report({ kind: 'order', code: 'Type3', quantity: 5 })).body.description, 'Type3 staple cartridge × 5');
    assert.equal((await api(relay.url, '/api/v1/codes/error/342', { method: 'DELETE', token: admin })).status, 204);
    assertProblem(await report({ kind: 'error', code: '342' }), 422, 'unknown-code');
  });
});
