import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

describe('device registry: pre-provision, list, show, rotate, remove', () => {
  let relay: RelayProcess;
  let admin: string;
  let op: string;

  before(async () => {
    relay = await startRelay({ args: ['--xmpp-domain', 'relay.example.com'] });
    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    admin = adminToken(relay.dataDir);
    op = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'acme']).token;
  });
  after(() => relay.stop());

  it('pre-provisions from the CLI with {deviceId, jid, token}, visible to the running relay at once', () => {
    const c = cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, [
      'device', 'add', '--serial', 'CLI-1', '--model', 'MFC-L2750', '--account', 'acme', '--capabilities', '{"functions":["print","fax"]}',
    ]);
    assert.deepEqual(Object.keys(c).sort(), ['deviceId', 'jid', 'token']);
    assert.match(c.deviceId, /^[a-z0-9][a-z0-9-]{2,63}$/);
    // The CLI prints the JID with the domain the relay runs with.
    assert.equal(c.jid, `${c.deviceId}@relay.example.com`);
    return api(relay.url, `/api/v1/devices/${c.deviceId}`, { token: op }).then((r) => {
      assert.equal(r.status, 200);
      assert.equal(r.body.jid, `${c.deviceId}@relay.example.com`);
      assert.deepEqual(r.body.capabilities, { functions: ['print', 'fax'] });
      assert.equal(r.body.online, false);
    });
  });

  it('pre-provisions over the API, and refuses a second device with the same model and serial', async () => {
    const r = await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: 'API-1', model: 'MFC-L2750', capabilities: { memoryMB: 256 } } });
    assert.equal(r.status, 201);
    assert.equal(r.body.jid, `${r.body.deviceId}@relay.example.com`);
    assert.match(r.body.token, /^frd_/);
    assertProblem(await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: 'API-1', model: 'MFC-L2750' } }), 409, 'conflict');
    // Same serial, other model: a different device.
    assert.equal((await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: 'API-1', model: 'HL-2000' } })).status, 201);
    const dup = cli(relay.dataDir, ['device', 'add', '--serial', 'API-1', '--model', 'MFC-L2750']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /already exists/);
  });

  it('lists with filters by serial, model and online, and pages with a cursor', async () => {
    for (let i = 0; i < 7; i++)
      await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: `PG-${i}`, model: 'PAGER' } });
    const bySerial = await api(relay.url, '/api/v1/devices?serial=PG-3', { token: op });
    assert.deepEqual(bySerial.body.items.map((d: { serial: string }) => d.serial), ['PG-3']);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: { body: { items: { serial: string; model: string }[]; nextCursor: string | null; total: number } } = await api(
        relay.url,
        `/api/v1/devices?model=PAGER&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { token: op },
      );
      assert.ok(r.body.items.length <= 3);
      assert.equal(r.body.total, 7, 'every page says how many match in all');
      assert.ok(r.body.items.every((d) => d.model === 'PAGER'));
      seen.push(...r.body.items.map((d) => d.serial));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), ['PG-0', 'PG-1', 'PG-2', 'PG-3', 'PG-4', 'PG-5', 'PG-6']);
    assert.equal(new Set(seen).size, 7);
    const online = await api(relay.url, '/api/v1/devices?online=true', { token: op });
    assert.deepEqual(online.body.items, [], 'nothing holds a session yet');
    const offline = await api(relay.url, '/api/v1/devices?online=false&model=PAGER', { token: op });
    assert.equal(offline.body.items.length, 7);
    assertProblem(await api(relay.url, '/api/v1/devices?limit=501', { token: op }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/devices?online=maybe', { token: op }), 400, 'validation-failed');
  });

  it('tags devices (API and CLI) and filters by tag; bad tags change nothing', async () => {
    const mk = async (serial: string) => (await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial, model: 'TAGGER' } })).body.deviceId as string;
    const [a, b, c] = [await mk('TG-1'), await mk('TG-2'), await mk('TG-3')];
    const patched = await api(relay.url, `/api/v1/devices/${a}`, { method: 'PATCH', token: op, json: { tags: ['floor-3', 'lease:2027', 'floor-3'] } });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.tags, ['floor-3', 'lease:2027'], 'sorted, without repeats');
    await api(relay.url, `/api/v1/devices/${b}`, { method: 'PATCH', token: op, json: { tags: ['floor-3'], installationPlace: 'copy room' } });
    assert.deepEqual(cliJson<{ tags: string[] }>(relay.dataDir, ['device', 'update', c, '--tags', 'lease:2027, basement', '--json']).tags, ['basement', 'lease:2027']);
    const byTag = async (tag: string) => ((await api(relay.url, `/api/v1/devices?tag=${encodeURIComponent(tag)}`, { token: op })).body as { items: { deviceId: string }[]; total: number });
    assert.deepEqual((await byTag('floor-3')).items.map((d) => d.deviceId).sort(), [a, b].sort());
    assert.equal((await byTag('lease:2027')).total, 2);
    assert.deepEqual((await byTag('nowhere')).items, []);
    assert.match(cli(relay.dataDir, ['device', 'list', '--tag', 'basement']).stdout, new RegExp(`${c}.*basement,lease:2027`));
    assertProblem(await api(relay.url, `/api/v1/devices/${a}`, { method: 'PATCH', token: op, json: { tags: ['no spaces'] } }), 400, 'validation-failed');
    assertProblem(await api(relay.url, `/api/v1/devices/${a}`, { method: 'PATCH', token: op, json: { tags: Array.from({ length: 17 }, (_, i) => `t${i}`) } }), 400, 'validation-failed');
    assertProblem(await api(relay.url, '/api/v1/devices?tag=-bad', { token: op }), 400, 'validation-failed');
    assert.deepEqual((await api(relay.url, `/api/v1/devices/${a}`, { token: op })).body.tags, ['floor-3', 'lease:2027'], 'unchanged by the refused ones');
    await api(relay.url, `/api/v1/devices/${a}`, { method: 'PATCH', token: op, json: { tags: [] } });
    assert.deepEqual((await byTag('floor-3')).items.map((d) => d.deviceId), [b]);
  });

  it('lists and shows from the CLI, as a table and as JSON', () => {
    const table = cli(relay.dataDir, ['device', 'list', '--model', 'PAGER', '--limit', '2']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^DEVICEID\s+ACCOUNTID\s+MODEL\s+SERIAL/m);
    assert.match(table.stdout, /more: --cursor \S+/);
    const json = cliJson<{ items: { deviceId: string }[] }>(relay.dataDir, ['device', 'list', '--serial', 'PG-1']);
    assert.equal(json.items.length, 1);
    const shown = cliJson<{ serial: string }>(relay.dataDir, ['device', 'show', json.items[0]!.deviceId]);
    assert.equal(shown.serial, 'PG-1');
    const missing = cli(relay.dataDir, ['device', 'show', 'dnotthere']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /device dnotthere not found/);
  });

  it('rotates a device token: the new one works, the old one stops at once (API and CLI)', async () => {
    const c = await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: 'ROT-1', model: 'M' } });
    const old = c.body.token as string;
    assert.equal((await api(relay.url, '/device/v1/self', { token: old })).status, 200);
    const rotated = await api(relay.url, `/api/v1/devices/${c.body.deviceId}/rotate-token`, { method: 'POST', token: op });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.token, old);
    assertProblem(await api(relay.url, '/device/v1/self', { token: old }), 401, 'unauthorized');
    assert.equal((await api(relay.url, '/device/v1/self', { token: rotated.body.token })).status, 200);
    const viaCli = cliJson<{ token: string }>(relay.dataDir, ['device', 'rotate-token', c.body.deviceId]);
    assertProblem(await api(relay.url, '/device/v1/self', { token: rotated.body.token }), 401, 'unauthorized');
    assert.equal((await api(relay.url, '/device/v1/self', { token: viaCli.token })).status, 200);
  });

  it('removes a device: its token stops working and it is gone from listings', async () => {
    const c = await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: 'DEL-1', model: 'M' } });
    assert.equal((await api(relay.url, `/api/v1/devices/${c.body.deviceId}`, { method: 'DELETE', token: op })).status, 204);
    assertProblem(await api(relay.url, `/api/v1/devices/${c.body.deviceId}`, { token: op }), 404, 'not-found');
    assertProblem(await api(relay.url, '/device/v1/self', { token: c.body.token }), 401, 'unauthorized');
    assertProblem(await api(relay.url, `/api/v1/devices/${c.body.deviceId}`, { method: 'DELETE', token: op }), 404, 'not-found');
    const d = cliJson<{ deviceId: string }>(relay.dataDir, ['device', 'add', '--serial', 'DEL-2', '--model', 'M']);
    assert.equal(cli(relay.dataDir, ['device', 'remove', d.deviceId]).code, 0);
    assertProblem(await api(relay.url, `/api/v1/devices/${d.deviceId}`, { token: admin }), 404, 'not-found');
  });

  it('puts an admin\'s device in the default account unless told otherwise', async () => {
    const r = await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: 'ADM-1', model: 'M' } });
    assert.equal((await api(relay.url, `/api/v1/devices/${r.body.deviceId}`, { token: admin })).body.accountId, 'default');
    const r2 = await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: 'ADM-2', model: 'M', accountId: 'acme' } });
    assert.equal((await api(relay.url, `/api/v1/devices/${r2.body.deviceId}`, { token: op })).body.accountId, 'acme');
    assertProblem(await api(relay.url, '/api/v1/devices', { method: 'POST', token: admin, json: { serial: 'ADM-3', model: 'M', accountId: 'nope' } }), 404, 'not-found');
  });

  it('edits the registry fields of seed 004 over the API and the CLI', async () => {
    const a = await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: 'REG-1', model: 'MP C3004' } });
    const b = await api(relay.url, '/api/v1/devices', { method: 'POST', token: op, json: { serial: 'REG-2', model: 'MP C3004' } });
    const patched = await api(relay.url, `/api/v1/devices/${a.body.deviceId}`, {
      method: 'PATCH',
      token: op,
      json: { registrationNumber: '123456', installationPlace: "3F copy room, O'Brien & Co", installer: 'Dana Installer', contactEmail: 'dana@example.com' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.registrationNumber, '123456');
    assert.equal(patched.body.installationPlace, "3F copy room, O'Brien & Co");
    assertProblem(await api(relay.url, `/api/v1/devices/${b.body.deviceId}`, { method: 'PATCH', token: op, json: { registrationNumber: '123456' } }), 409, 'conflict');
    assertProblem(await api(relay.url, `/api/v1/devices/${b.body.deviceId}`, { method: 'PATCH', token: op, json: { contactEmail: 'not an address' } }), 400, 'validation-failed');
    assertProblem(await api(relay.url, `/api/v1/devices/${b.body.deviceId}`, { method: 'PATCH', token: op, json: { installer: 'line\nbreak' } }), 400, 'validation-failed');
    assertProblem(await api(relay.url, `/api/v1/devices/${b.body.deviceId}`, { method: 'PATCH', token: op, json: {} }), 400, 'validation-failed');
    const viaCli = cliJson<{ registrationNumber: string; contact: string; legacyAuth: boolean }>(relay.dataDir, [
      'device', 'update', b.body.deviceId, '--registration-number', '654321', '--contact', '+81 3 1234 5678', '--legacy',
    ]);
    assert.deepEqual([viaCli.registrationNumber, viaCli.contact, viaCli.legacyAuth], ['654321', '+81 3 1234 5678', true]);
    const cleared = cliJson<{ contact: string | null; legacyAuth: boolean }>(relay.dataDir, ['device', 'update', b.body.deviceId, '--contact', '', '--no-legacy']);
    assert.deepEqual([cleared.contact, cleared.legacyAuth], [null, false]);
    const audit = await api(relay.url, '/api/v1/audit', { token: admin });
    assert.ok(audit.body.items.some((e: { action: string; target: string }) => e.action === 'device.update' && e.target === a.body.deviceId));
  });
});
