import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OID } from '../src/device/sim/printer-mib.js';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';
import { simulate } from './helpers/simulate.js';

interface Job {
  id: string;
  state: string;
  total: number;
  counts: { pending: number; ok: number; queued: number; failed: number };
  results: { deviceId: string; state: string; detail: string | null }[];
}

describe('bulk actions: one job, a result per device, retry (issue 15)', () => {
  let relay: RelayProcess;
  let admin: string;
  let sim: ReturnType<typeof simulate>;
  let online: string[];
  let offline: string;

  before(async () => {
    relay = await startRelay({ args: ['--status-poll', '0'] });
    admin = adminToken(relay.dataDir);
    const state = join(tempDir(), 'bulk-sim.json');
    sim = simulate(relay, ['--count', '2', '--state', state]);
    await sim.ready;
    online = (JSON.parse(readFileSync(state, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices.map((d) => d.deviceId);
    offline = cliJson<{ deviceId: string }>(relay.dataDir, ['device', 'add', '--serial', 'BULK-OFF', '--model', 'MP C3004']).deviceId;
  });
  after(async () => {
    sim.proc.kill('SIGINT');
    await sim.exited;
    await relay.stop();
  });

  const start = (json: unknown, token = admin) => api(relay.url, '/api/v1/bulk', { method: 'POST', token, json });
  const done = (id: string, q = '') =>
    until(`bulk job ${id} done`, async () => {
      const r = await api(relay.url, `/api/v1/bulk/${id}${q}`, { token: admin });
      return r.body.state === 'done' ? (r.body as Job) : undefined;
    });

  it('tags the devices it is given, then a SET by tag: online devices take it, an offline one fails, and is queued when asked', async () => {
    const tagged = await start({ action: 'tags', filter: { deviceIds: [...online, offline] }, add: ['floor-3'] });
    assert.equal(tagged.status, 202, tagged.text);
    assert.equal(tagged.body.total, 3);
    assert.deepEqual((await done(tagged.body.id)).counts, { pending: 0, ok: 3, queued: 0, failed: 0 });
    assert.equal((await api(relay.url, '/api/v1/devices?tag=floor-3', { token: admin })).body.total, 3);

    const set = await start({ action: 'set', filter: { tag: 'floor-3' }, objects: [{ oid: OID.sysLocation, type: 'string', value: 'Floor 3, copy room' }] });
    assert.equal(set.status, 202, set.text);
    const job = await done(set.body.id);
    assert.deepEqual(job.counts, { pending: 0, ok: 2, queued: 0, failed: 1 });
    const failed = (await api(relay.url, `/api/v1/bulk/${job.id}?state=failed`, { token: admin })).body as Job;
    assert.deepEqual(failed.results.map((r) => r.deviceId), [offline]);
    assert.match(failed.results[0]!.detail ?? '', /offline/);
    for (const id of online) {
      const got = await api(relay.url, `/api/v1/devices/${id}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysLocation] } });
      assert.equal(got.body.objects[0].value, 'Floor 3, copy room');
    }

    const retried = await api(relay.url, `/api/v1/bulk/${job.id}/retry`, { method: 'POST', token: admin });
    assert.equal(retried.status, 202, retried.text);
    assert.deepEqual((await done(job.id)).counts, { pending: 0, ok: 2, queued: 0, failed: 1 }, 'still offline: fails again');

    const queued = await start({ action: 'set', filter: { tag: 'floor-3' }, objects: [{ oid: OID.sysContact, type: 'string', value: 'facilities' }], queueOfflineSeconds: 3600 });
    const q = await done(queued.body.id, '?state=queued');
    assert.deepEqual(q.counts, { pending: 0, ok: 2, queued: 1, failed: 0 });
    assert.match(q.results[0]!.detail ?? '', /queued as r/);
  });

  it('refuses bad input and changes nothing; another account sees neither the job nor devices outside it', async () => {
    assertProblem(await start({ action: 'reboot', filter: { tag: 'floor-3' } }), 400, 'validation-failed');
    assertProblem(await start({ action: 'set', filter: { tag: 'floor-3' }, objects: [{ oid: 'not.an.oid', type: 'string', value: 'x' }] }), 400, 'validation-failed');
    assertProblem(await start({ action: 'set', filter: { tag: 'floor-3' }, objects: [{ oid: OID.sysName, type: 'integer', value: 'abc' }] }), 400, 'validation-failed');
    assertProblem(await start({ action: 'tags', filter: { tag: 'floor-3' } }), 400, 'validation-failed');
    assertProblem(await start({ action: 'remove', filter: { tag: 'nobody-has-this' } }), 400, 'validation-failed');
    assertProblem(await start({ action: 'remove', filter: { deviceIds: ['dunknown0001'] } }), 404, 'not-found');
    assert.equal((await api(relay.url, '/api/v1/devices?tag=floor-3', { token: admin })).body.total, 3, 'nothing removed');

    cliJson(relay.dataDir, ['account', 'add', 'acme']);
    const op = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'acme']).token;
    const mine = cliJson<{ deviceId: string }>(relay.dataDir, ['device', 'add', '--serial', 'ACME-1', '--model', 'MP C3004', '--account', 'acme']).deviceId;
    cliJson(relay.dataDir, ['device', 'update', mine, '--tags', 'floor-3']);
    const theirs = await start({ action: 'tags', filter: { tag: 'floor-3' }, add: ['acme-only'] }, op);
    assert.equal(theirs.body.total, 1, "an operator's filter selects only the account's devices");
    assertProblem(await start({ action: 'remove', filter: { deviceIds: [offline] } }, op), 404, 'not-found');
    const adminJob = (await api(relay.url, '/api/v1/bulk', { token: admin })).body.items.find((j: { accountId: string | null }) => j.accountId === null).id;
    assertProblem(await api(relay.url, `/api/v1/bulk/${adminJob}`, { token: op }), 404, 'not-found');
    assert.ok((await api(relay.url, '/api/v1/bulk', { token: op })).body.items.every((j: { accountId: string }) => j.accountId === 'acme'));
    assertProblem(await api(relay.url, `/api/v1/bulk/${theirs.body.id}/retry`, { method: 'POST', token: op }), 409, 'conflict');
  });

  it('`bulk` in the CLI: a tag change and a removal, waited for, and the job shown', () => {
    const relayArgs = ['--relay', relay.url, '--token', admin];
    const doomed = cliJson<{ deviceId: string }>(relay.dataDir, ['device', 'add', '--serial', 'BULK-GONE', '--model', 'HL-2000']).deviceId;
    const tagged = cliJson<Job>(relay.dataDir, [...relayArgs, 'bulk', 'tags', '--device', doomed, '--add', 'retire', '--wait', '--json']);
    assert.deepEqual([tagged.state, tagged.counts.ok], ['done', 1]);
    const removed = cli(relay.dataDir, [...relayArgs, 'bulk', 'remove', '--tag', 'retire', '--wait']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^state:\s+done$/m);
    assert.match(removed.stdout, new RegExp(`${doomed}\\s+ok`));
    assert.equal(cli(relay.dataDir, ['device', 'show', doomed]).code, 1, 'removed');
    const none = cli(relay.dataDir, [...relayArgs, 'bulk', 'remove']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /choose the devices/);
    assert.match(cli(relay.dataDir, [...relayArgs, 'bulk', 'list']).stdout, /^ID\s+ACTION\s+STATE/m);
  });
});
