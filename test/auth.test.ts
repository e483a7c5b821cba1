import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';
import { storeSql } from './helpers/store.js';

describe('authentication and account isolation (real relay process)', () => {
  let relay: RelayProcess;
  let admin: string;
  let opA: string;
  let opB: string;
  let deviceA: string;

  before(async () => {
    // This suite fails authentication on purpose, many times; throttling has its own suite below.
    relay = await startRelay({ env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '100000' } });
    const d = relay.dataDir;
    cliJson(d, ['account', 'add', 'acme', '--name', 'Acme Corp']);
    cliJson(d, ['account', 'add', 'globex']);
    admin = adminToken(d);
    opA = cliJson<{ token: string }>(d, ['token', 'create', '--account', 'acme']).token;
    opB = cliJson<{ token: string }>(d, ['token', 'create', '--account', 'globex']).token;
    deviceA = cliJson<{ deviceId: string }>(d, ['device', 'add', '--serial', 'A1', '--model', 'MFC-9000', '--account', 'acme']).deviceId;
  });
  after(() => relay.stop());

  it('refuses every /api/v1 route in the OpenAPI document without a token, with a wrong one, and a device token', async () => {
    const doc = await api(relay.url, '/api/v1/openapi.json');
    assert.equal(doc.status, 200);
    const deviceToken = cliJson<{ token: string }>(relay.dataDir, ['device', 'add', '--serial', 'X9', '--model', 'M']).token;
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const method of Object.keys(ops)) {
        const concrete = path.replace(/\{[^}]+\}/g, deviceA);
        for (const token of [undefined, 'fra_wrong', deviceToken]) {
          const r = await api(relay.url, concrete, { method: method.toUpperCase(), token, json: ['post', 'put', 'patch'].includes(method) ? {} : undefined });
          assertProblem(r, 401, 'unauthorized');
        }
        checked++;
      }
    }
    assert.ok(checked >= 9, `only ${checked} API operations found in the OpenAPI document`);
  });

  it('lets public endpoints through without a token', async () => {
    assert.equal((await api(relay.url, '/healthz')).status, 200);
    assert.equal((await api(relay.url, '/api/v1/openapi.json')).status, 200);
    assert.equal((await api(relay.url, '/login')).status, 200);
  });

  it('answers 404 for another account\'s device, and hides it from listings', async () => {
    assert.equal((await api(relay.url, `/api/v1/devices/${deviceA}`, { token: opA })).status, 200);
    for (const [method, path] of [
      ['GET', `/api/v1/devices/${deviceA}`],
      ['DELETE', `/api/v1/devices/${deviceA}`],
      ['POST', `/api/v1/devices/${deviceA}/rotate-token`],
    ] as const) {
      assertProblem(await api(relay.url, path, { method, token: opB }), 404, 'not-found');
    }
    const listB = await api(relay.url, '/api/v1/devices', { token: opB });
    assert.deepEqual(listB.body.items, []);
    const listBasA = await api(relay.url, '/api/v1/devices?accountId=acme', { token: opB });
    assert.deepEqual(listBasA.body.items, []);
    // An operator cannot create devices in another account either.
    assertProblem(await api(relay.url, '/api/v1/devices', { method: 'POST', token: opB, json: { serial: 'Z', model: 'Z', accountId: 'acme' } }), 404, 'not-found');
    // The device still exists and kept its account.
    const shown = await api(relay.url, `/api/v1/devices/${deviceA}`, { token: admin });
    assert.equal(shown.body.accountId, 'acme');
  });

  it('keeps operators out of site-admin actions', async () => {
    assertProblem(await api(relay.url, '/api/v1/accounts', { method: 'POST', token: opA, json: { id: 'evil' } }), 403, 'forbidden');
    assertProblem(await api(relay.url, '/api/v1/tokens', { method: 'POST', token: opA, json: { admin: true } }), 403, 'forbidden');
    const accounts = await api(relay.url, '/api/v1/accounts', { token: opA });
    assert.deepEqual(accounts.body.items.map((a: { id: string }) => a.id), ['acme']);
  });

  it('makes a token revoked by the CLI fail on the very next request to the running relay', async () => {
    const t = cliJson<{ id: string; token: string }>(relay.dataDir, ['token', 'create', '--account', 'acme']);
    assert.equal((await api(relay.url, '/api/v1/devices', { token: t.token })).status, 200);
    const r = cli(relay.dataDir, ['token', 'revoke', t.id]);
    assert.equal(r.code, 0, r.stderr);
    assertProblem(await api(relay.url, '/api/v1/devices', { token: t.token }), 401, 'unauthorized');
    const listed = cliJson<{ id: string; revokedAt: string | null }[]>(relay.dataDir, ['token', 'list']).find((x) => x.id === t.id);
    assert.ok(listed?.revokedAt);
  });

  it('revokes through the API too, and only within the caller\'s account', async () => {
    const t = cliJson<{ id: string; token: string }>(relay.dataDir, ['token', 'create', '--account', 'acme']);
    assertProblem(await api(relay.url, `/api/v1/tokens/${t.id}`, { method: 'DELETE', token: opB }), 404, 'not-found');
    assert.equal((await api(relay.url, '/api/v1/devices', { token: t.token })).status, 200);
    assert.equal((await api(relay.url, `/api/v1/tokens/${t.id}`, { method: 'DELETE', token: opA })).status, 204);
    assertProblem(await api(relay.url, '/api/v1/devices', { token: t.token }), 401, 'unauthorized');
    assertProblem(await api(relay.url, `/api/v1/tokens/${t.id}`, { method: 'DELETE', token: opA }), 409, 'conflict');
  });

  it('refuses an expired token', async () => {
    const t = cliJson<{ token: string; expiresAt: string }>(relay.dataDir, ['token', 'create', '--account', 'acme', '--expires-in', '1s']);
    assert.ok(Date.parse(t.expiresAt) > Date.now() - 1000);
    await new Promise((r) => setTimeout(r, 1100));
    assertProblem(await api(relay.url, '/api/v1/devices', { token: t.token }), 401, 'unauthorized');
  });

  it('creates tokens over the API whose secret is shown once and stored only hashed', async () => {
    const created = await api(relay.url, '/api/v1/tokens', { method: 'POST', token: opA, json: { label: 'billing export' } });
    assert.equal(created.status, 201);
    assert.match(created.body.token, /^fra_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.body.accountId, 'acme');
    const list = await api(relay.url, '/api/v1/tokens', { token: opA });
    assert.ok(list.body.items.every((t: Record<string, unknown>) => !('token' in t) && !('hash' in t)));
    assert.ok(list.body.items.every((t: { accountId: string }) => t.accountId === 'acme'));
    const [stored] = (await storeSql(relay.dataDir, 'SELECT hash FROM api_tokens WHERE id = ?', created.body.id)) as [{ hash: string }];
    assert.match(stored.hash, /^[0-9a-f]{64}$/);
    assert.ok(!stored.hash.includes(created.body.token));
  });

  it('records who changed what in the audit log', async () => {
    const log = await api(relay.url, '/api/v1/audit', { token: admin });
    const actions = log.body.items.map((e: { action: string }) => e.action);
    for (const a of ['account.add', 'token.create', 'token.revoke', 'device.add']) assert.ok(actions.includes(a), `no ${a} in audit log`);
    const mine = await api(relay.url, '/api/v1/audit', { token: opA });
    assert.ok(mine.body.items.length > 0);
    assert.ok(mine.body.items.every((e: { accountId: string }) => e.accountId === 'acme'));
  });

  it('protects /metrics with a site-admin token', async () => {
    assertProblem(await api(relay.url, '/metrics'), 401, 'unauthorized');
    assertProblem(await api(relay.url, '/metrics', { token: opA }), 401, 'unauthorized');
    const m = await api(relay.url, '/metrics', { token: admin });
    assert.equal(m.status, 200);
    assert.match(m.text, /fleetrelay_http_requests_total/);
  });
});

describe('failed-authentication throttling', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay({ env: { FLEETRELAY_AUTH_FAILURES_PER_MINUTE: '5' } });
  });
  after(() => relay.stop());

  it('answers 429 with Retry-After to wrong tokens past the limit, and still lets a right one in', async () => {
    const good = adminToken(relay.dataDir);
    for (let i = 0; i < 5; i++) assertProblem(await api(relay.url, '/api/v1/devices', { token: `fra_wrong${i}` }), 401, 'unauthorized');
    const r = await api(relay.url, '/api/v1/devices', { token: 'fra_wrong-again' });
    assertProblem(r, 429, 'rate-limited');
    assert.ok(Number(r.headers.get('retry-after')) > 0);
    assertProblem(await api(relay.url, '/device/v1/self', { token: 'frd_wrong' }), 429, 'rate-limited');
    // Devices behind the same NAT with good tokens are not locked out by a neighbour's mistakes.
    assert.equal((await api(relay.url, '/api/v1/devices', { token: good })).status, 200);
  });
});
