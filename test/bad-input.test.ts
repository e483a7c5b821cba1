import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';
import { storeSql, storeTables } from './helpers/store.js';

const SQLISH = [
  `'; DROP TABLE devices; --`,
  `" OR "1"="1`,
  `x' UNION SELECT hash FROM api_tokens --`,
  `Robert'); DELETE FROM accounts;--`,
];

/** Row counts of every table: "nothing changed" means these are equal before and after. */
async function snapshot(dataDir: string): Promise<Record<string, number>> {
  const tables = (await storeTables(dataDir)).filter((name) => name !== 'audit_log');
  const counts: Record<string, number> = {};
  for (const name of tables) counts[name] = Number((await storeSql(dataDir, `SELECT count(*) AS n FROM "${name}"`))[0]!.n);
  return counts;
}

describe('bad input gets a clear problem+json error and changes nothing', () => {
  let relay: RelayProcess;
  let admin: string;
  let deviceToken: string;
  let deviceId: string;

  before(async () => {
    relay = await startRelay({ env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '100000', FLEETRELAY_REGISTRATIONS_PER_MINUTE: '100000' } });
    admin = adminToken(relay.dataDir);
    const d = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'BASE', '--model', 'M']);
    deviceToken = d.token;
    deviceId = d.deviceId;
  });
  after(() => relay.stop());

  const posts = (): [string, string | undefined][] => [
    ['/api/v1/devices', admin],
    ['/api/v1/accounts', admin],
    ['/api/v1/tokens', admin],
    ['/device/v1/register', undefined],
  ];

  it('malformed JSON → 400 malformed-request', async () => {
    const before = await snapshot(relay.dataDir);
    for (const [path, token] of posts()) {
      for (const body of ['{"serial":', '{serial: 1}', 'null garbage', '\u0000\u0001']) {
        assertProblem(await api(relay.url, path, { method: 'POST', token, body, headers: { 'content-type': 'application/json' } }), 400, 'malformed-request');
      }
    }
    assert.deepEqual(await snapshot(relay.dataDir), before);
  });

  it('oversize bodies → 413 payload-too-large', async () => {
    const before = await snapshot(relay.dataDir);
    const huge = JSON.stringify({ serial: 'S', model: 'M', capabilities: { blob: 'x'.repeat(200_000) } });
    for (const [path, token] of posts())
      assertProblem(await api(relay.url, path, { method: 'POST', token, body: huge, headers: { 'content-type': 'application/json' } }), 413, 'payload-too-large');
    // Under the body limit but over the capabilities limit: a validation error.
    const big = { serial: 'S', model: 'M', capabilities: { blob: 'x'.repeat(20_000) } };
    assertProblem(await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: big }), 400, 'validation-failed');
    assert.deepEqual(await snapshot(relay.dataDir), before);
  });

  it('wrong content types → 415, wrong shapes → 400 validation-failed', async () => {
    const before = await snapshot(relay.dataDir);
    assertProblem(await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, body: 'serial=1', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type');
    assertProblem(await api(relay.url, '/device/v1/register', { method: 'POST', body: '<xml/>', headers: { 'content-type': 'application/xml' } }), 415, 'unsupported-media-type');
    for (const json of [[], 'string', 42, { serial: 'S' }, { serial: '', model: 'M' }, { serial: 'S', model: 'M', extra: true }, { serial: 'S', model: 'M', capabilities: [1] }, { serial: ' S', model: 'M' }, { serial: 'S\n', model: 'M' }, { serial: 'S', model: 'x'.repeat(65) }])
      assertProblem(await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json }), 400, 'validation-failed');
    assert.deepEqual(await snapshot(relay.dataDir), before);
  });

  it('NUL in any text (body, query, CGI report form) → 400 validation-failed, on both stores alike', async () => {
    const before = await snapshot(relay.dataDir);
    const nul = 'tray\u00002';
    for (const [path, token, json] of [
      ['/api/v1/tokens', admin, { label: nul }],
      ['/api/v1/devices', admin, { serial: 'S', model: 'M', capabilities: { note: nul } }],
      ['/api/v1/accounts', admin, { id: 'acme', name: nul }],
      ['/device/v1/reports', deviceToken, { kind: 'user-report', text: nul }],
      ['/device/v1/reports', deviceToken, { kind: 'user-report', [nul]: 'x' }],
    ] as const)
      assertProblem(await api(relay.url, path, { method: 'POST', token, json }), 400, 'validation-failed');
    assertProblem(await api(relay.url, `/api/v1/devices?serial=a%00b`, { token: admin }), 400, 'validation-failed');
    // The seed's CGI form answers in its own text form.
    const form = `U=123456&W=${encodeURIComponent(nul)}`;
    for (const o of [{ path: `/cgi-bin/cgi.remoteservice?${form}` }, { path: '/cgi-bin/cgi.remoteservice', method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, { path: `/cgi-bin/cgi.checkupdate?V=${encodeURIComponent(nul)}` }]) {
      const r = await api(relay.url, o.path, { token: deviceToken, ...o });
      assert.equal(r.status, 400, o.path);
      assert.match(r.text, /^error=validation-failed\r\n/);
    }
    assert.deepEqual(await snapshot(relay.dataDir), before);
  });

  it('unknown routes and methods → 404 not-found', async () => {
    for (const [method, path] of [['GET', '/nope'], ['GET', '/api/v1/nope'], ['POST', '/api/v1/devices/x/y/z'], ['GET', '/device/v1/nope'], ['PUT', '/healthz']] as const)
      assertProblem(await api(relay.url, path, { method, token: admin }), 404, 'not-found');
  });

  it('wrong, malformed and wrong-kind tokens → 401', async () => {
    for (const token of ['', 'fra_', 'fra_' + 'A'.repeat(43), 'x'.repeat(5000), deviceToken, `${admin}x`])
      assertProblem(await api(relay.url, '/api/v1/devices', { token }), 401, 'unauthorized');
    assertProblem(await api(relay.url, '/api/v1/devices', { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } }), 401, 'unauthorized');
    assertProblem(await api(relay.url, '/device/v1/self', { token: admin }), 401, 'unauthorized');
  });

  it('SQL-ish strings in every text field are stored as text or refused, never executed', async () => {
    const before = await snapshot(relay.dataDir);
    for (const s of SQLISH) {
      // Identifiers with a fixed shape refuse them.
      assertProblem(await api(relay.url, '/api/v1/accounts', { method: 'POST', token: admin, json: { id: s } }), 400, 'validation-failed');
      assertProblem(await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: 'S', model: 'M', accountId: s } }), 400, 'validation-failed');
      assertProblem(await api(relay.url, `/api/v1/devices/${encodeURIComponent(s)}`, { token: admin }), 400, 'validation-failed');
      assertProblem(await api(relay.url, `/api/v1/tokens/${encodeURIComponent(s)}`, { method: 'DELETE', token: admin }), 404, 'not-found');
      assertProblem(await api(relay.url, `/device/v1/register/${encodeURIComponent(s)}`), 404, 'not-found');
      const list = await api(relay.url, `/api/v1/devices?serial=${encodeURIComponent(s)}&model=${encodeURIComponent(s)}`, { token: admin });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items, []);
      assertProblem(await api(relay.url, `/api/v1/devices?cursor=${encodeURIComponent(s)}`, { token: admin }), 400, 'validation-failed');
      const bad = cli(relay.dataDir, ['user', 'add', s, '--password', 'long enough pw']);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /user name/);
      assert.notEqual(cli(relay.dataDir, ['token', 'revoke', s]).code, 0);
    }
    assert.deepEqual(await snapshot(relay.dataDir), before, 'refused input changed nothing');

    // Free text (serial, model, labels, capabilities) is data: stored and returned verbatim.
    for (const [i, s] of SQLISH.entries()) {
      const made = await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: s, model: `${s}${i}`, capabilities: { [s]: s } } });
      assert.equal(made.status, 201, made.text);
      const shown = await api(relay.url, `/api/v1/devices/${made.body.deviceId}`, { token: admin });
      assert.equal(shown.body.serial, s);
      assert.equal(shown.body.capabilities[s], s);
      const reg = await api(relay.url, '/device/v1/register', { method: 'POST', json: { serial: s, model: s } });
      assert.equal(reg.status, 201);
      const tok = await api(relay.url, '/api/v1/tokens', { method: 'POST', token: admin, json: { label: s } });
      assert.equal(tok.status, 201);
      assert.equal(tok.body.label, s);
      const patched = await api(relay.url, '/device/v1/self', { method: 'PATCH', token: deviceToken, json: { capabilities: { note: s } } });
      assert.equal(patched.body.capabilities.note, s);
    }
    const after = await snapshot(relay.dataDir);
    assert.equal(after.devices, before.devices! + SQLISH.length);
    assert.equal(after.accounts, before.accounts);
    assert.ok((await api(relay.url, `/api/v1/devices/${deviceId}`, { token: admin })).status === 200);
  });

  it('refuses pages whose parameters are out of range', async () => {
    assertProblem(await api(relay.url, '/api/v1/devices?limit=0', { token: admin }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/devices?limit=abc', { token: admin }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/devices?bogus=1', { token: admin }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/device/v1/register/frp_x?wait=999'), 400, 'validation-failed');
  });

  it('still answers normally after all of that', async () => {
    assert.equal((await api(relay.url, '/healthz')).status, 200);
    assert.equal((await api(relay.url, '/api/v1/devices', { token: admin })).status, 200);
    assert.equal(relay.proc.exitCode, null);
    assert.ok(!relay.logs.some((l) => /"level":50/.test(l) && /unhandled/.test(l)), 'no unhandled errors were logged');
  });
});
