import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { parseAssignment } from '../src/cli/device-client.js';
import { OID } from '../src/device/sim/printer-mib.js';
import { api, cli, cliJson, startRelay, tempDir, type RelayProcess } from './helpers/relay.js';
import { simulate } from './helpers/simulate.js';

describe('fleetrelay device simulate, get and set', () => {
  let relay: RelayProcess;
  let token: string;
  const state = join(tempDir(), 'sim.json');

  before(async () => {
    relay = await startRelay();
    token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create']).token;
  });
  after(() => relay.stop());

  it('runs virtual MFPs that the CLI can GET and SET through the relay, and reuses them from its state', async () => {
    const sim = simulate(relay, ['--count', '3', '--state', state]);
    assert.match(await sim.ready, /^3 of 3 devices connected/);
    const saved = (JSON.parse(readFileSync(state, 'utf8')) as { relays: Record<string, { domain: string; devices: { deviceId: string }[] }> }).relays[relay.url]!;
    assert.equal(saved.devices.length, 3);
    assert.equal(saved.domain, 'fleetrelay.local');
    const id = saved.devices[0]!.deviceId;

    const relayArgs = ['--relay', relay.url, '--token', token];
    const got = cliJson<{ objects: { value: string }[] }>(relay.dataDir, [...relayArgs, 'get', id, OID.sysDescr, OID.prtMarkerLifeCount]);
    assert.match(got.objects[0]!.value, /virtual MFP/);
    const table = cli(relay.dataDir, [...relayArgs, 'get', id, OID.sysName, '1.3.6.1.2.1.1.99.0']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^OID\s+TYPE\s+VALUE/m);
    assert.match(table.stdout, /\(noSuchObject\)/);
    const setOk = cli(relay.dataDir, [...relayArgs, 'set', id, `${OID.sysLocation}=string:Copy room, 2nd floor`]);
    assert.equal(setOk.code, 0, setOk.stderr);
    const refused = cli(relay.dataDir, [...relayArgs, 'set', id, `${OID.sysDescr}=string:nope`]);
    assert.equal(refused.code, 2, 'the device refused the input');
    assert.match(refused.stderr, /422 .*notWritable/);
    assert.equal(cliJson<{ objects: { value: string }[] }>(relay.dataDir, [...relayArgs, 'get', id, OID.sysLocation]).objects[0]!.value, 'Copy room, 2nd floor');

    sim.proc.kill('SIGINT');
    assert.equal(await sim.exited, 0);
    await new Promise((r) => setTimeout(r, 200));
    const offline = await api(relay.url, `/api/v1/devices/${id}/get`, { method: 'POST', token, json: { oids: [OID.sysName] } });
    assert.equal(offline.status, 409, 'the simulator ended its sessions');

    const again = simulate(relay, ['--count', '2', '--state', state]);
    assert.match(await again.ready, /^2 of 2 devices connected/);
    assert.equal((JSON.parse(readFileSync(state, 'utf8')) as { relays: Record<string, { devices: unknown[] }> }).relays[relay.url]!.devices.length, 3, 'no new devices were made');
    again.proc.kill('SIGINT');
    await again.exited;
    assert.equal(cliJson<{ items: unknown[] }>(relay.dataDir, ['device', 'list']).items.length, 3);
  });

  it('with --transport websocket, the virtual MFPs hold XMPP over WebSocket and answer the CLI\'s GET', async () => {
    const wsState = join(tempDir(), 'ws.json');
    const sim = simulate(relay, ['--count', '2', '--state', wsState, '--transport', 'websocket']);
    try {
      assert.match(await sim.ready, /^2 of 2 devices connected/);
      const metrics = (await api(relay.url, '/metrics', { token: cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token })).text;
      assert.match(metrics, /^fleetrelay_websocket_sessions 2$/m);
      const id = (JSON.parse(readFileSync(wsState, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices[0]!.deviceId;
      const got = cliJson<{ objects: { value: string }[] }>(relay.dataDir, ['--relay', relay.url, '--token', token, 'get', id, OID.sysDescr]);
      assert.match(got.objects[0]!.value, /virtual MFP/);
    } finally {
      sim.proc.kill('SIGINT');
    }
    assert.equal(await sim.exited, 0);
    const bad = cli(relay.dataDir, ['--relay', relay.url, 'device', 'simulate', '--count', '1', '--transport', 'carrier-pigeon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--transport is bosh or websocket/);
  });

  it('with --pages-per-minute, the virtual MFPs also run remote management: counters at power-on', async () => {
    const sim = simulate(relay, ['--count', '2', '--state', join(tempDir(), 'managed.json'), '--pages-per-minute', '60']);
    await sim.ready;
    let counters: unknown[] = [];
    for (let i = 0; i < 40 && counters.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      counters = (await api(relay.url, '/api/v1/reports?limit=50', { token })).body.items.filter((r: { type: string }) => r.type === 'counters');
    }
    assert.equal(counters.length, 2);
    sim.proc.kill('SIGINT');
    await sim.exited;
  });

  it('with --fax-host, the virtual MFPs have fax lines: logged in, and faxing pages to each other', async () => {
    const sim = simulate(relay, ['--count', '3', '--state', join(tempDir(), 'fax.json'), '--fax-host', `127.0.0.1:${relay.faxPort}`, '--fax-every', '0.3']);
    const faxLines: string[] = [];
    createInterface({ input: sim.proc.stdout }).on('line', (l) => l.startsWith('fax ') && faxLines.push(l));
    await sim.ready;
    const users = (await api(relay.url, '/api/v1/fax/users', { token })).body.items.filter((u: { id: string }) => u.id.startsWith('fax-'));
    assert.equal(users.length, 3);
    assert.ok(users.every((u: { loggedIn: boolean }) => u.loggedIn), 'every line is logged in');
    for (let i = 0; i < 100 && faxLines.filter((l) => /confirmed/.test(l)).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(faxLines.filter((l) => /bytes confirmed/.test(l)).length >= 2, faxLines.join('\n'));
    sim.proc.kill('SIGINT');
    await sim.exited;
  });

  it('with --print, the virtual MFPs are cloud printers; --cannot-cancel makes them refuse a cancel (C4)', async () => {
    const stateFile = join(tempDir(), 'printers.json');
    const sim = simulate(relay, ['--count', '1', '--state', stateFile, '--print', '--cannot-cancel', '--page-ms', '300']);
    await sim.ready;
    assert.ok(sim.lines.includes(`starting 1 virtual printers against ${relay.url}`), sim.lines.join('\n'));
    const printerId = (JSON.parse(readFileSync(stateFile, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices[0]!.deviceId;
    assert.equal((await api(relay.url, `/api/v1/printers/${printerId}`, { token })).body.acceptingJobs, true);
    assert.equal((await api(relay.url, `/api/v1/devices/${printerId}`, { token })).body.model, 'FleetRelay VirtualPrinter');
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20_000, 0x20)]))]), 'doc.pdf');
    const res = await fetch(`${relay.url}/api/v1/printers/${printerId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const jobId = ((await res.json()) as { jobId: string }).jobId;
    const state = async (): Promise<string> => (await api(relay.url, `/api/v1/jobs/${jobId}`, { token })).body.state;
    for (let i = 0; i < 100 && (await state()) !== 'processing'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await api(relay.url, `/api/v1/jobs/${jobId}/cancel`, { method: 'POST', token })).body.state, 'cancel-failed');
    for (let i = 0; i < 100 && (await state()) !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await state(), 'completed', 'it printed the job anyway');
    sim.proc.kill('SIGINT');
    await sim.exited;
  });

  it('with --print --ipp, the printers fetch over IPP INFRA and print', async () => {
    const stateFile = join(tempDir(), 'ipp-printers.json');
    const sim = simulate(relay, ['--count', '1', '--state', stateFile, '--print', '--ipp', '--page-ms', '5']);
    assert.match(await sim.ready, /^1 of 1 devices connected/);
    const printerId = (JSON.parse(readFileSync(stateFile, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices[0]!.deviceId;
    assert.equal((await api(relay.url, `/api/v1/printers/${printerId}`, { token })).body.acceptingJobs, true);
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(Buffer.from('%PDF-1.4\n1 0 obj<</Type /Page>>endobj\n%%EOF\n'))]), 'doc.pdf');
    const res = await fetch(`${relay.url}/api/v1/printers/${printerId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    const jobId = ((await res.json()) as { jobId: string }).jobId;
    const job = async () => (await api(relay.url, `/api/v1/jobs/${jobId}`, { token })).body as { state: string; history: { detail: string }[] };
    for (let i = 0; i < 100 && (await job()).state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
    const done = await job();
    assert.equal(done.state, 'completed');
    assert.ok(done.history.some((h) => /acknowledged by the printer over IPP/.test(h.detail)), 'fetched over IPP, not over a session');
    sim.proc.kill('SIGINT');
    await sim.exited;
    assert.equal((await api(relay.url, `/api/v1/printers/${printerId}`, { token })).body.acceptingJobs, false, 'it deregistered as it stopped');
  });

  it('keeps its state per relay: another relay gets its own devices, a relay that forgot them is named', async () => {
    const stateFile = join(tempDir(), 'shared.json');
    const first = simulate(relay, ['--count', '1', '--state', stateFile]);
    assert.match(await first.ready, /^1 of 1 devices connected/);
    first.proc.kill('SIGINT');
    await first.exited;
    const other = await startRelay();
    try {
      const second = simulate(other, ['--count', '1', '--state', stateFile]);
      assert.match(await second.ready, /^1 of 1 devices connected/);
      assert.ok(second.lines.includes(`${stateFile} keeps devices for ${relay.url}, not for ${other.url}: making new ones for it`), second.lines.join('\n'));
      second.proc.kill('SIGINT');
      await second.exited;
    } finally {
      await other.stop();
    }
    const kept = (JSON.parse(readFileSync(stateFile, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays;
    assert.deepEqual(Object.keys(kept).sort(), [relay.url, other.url].sort());

    assert.equal(cli(relay.dataDir, ['device', 'remove', kept[relay.url]!.devices[0]!.deviceId]).code, 0);
    const forgotten = simulate(relay, ['--count', '1', '--state', stateFile]);
    assert.equal(await forgotten.exited, 2);
    assert.ok(forgotten.lines.some((l) => l.includes(`the devices ${stateFile} keeps for ${relay.url} are unknown to it (401)`)), forgotten.lines.join('\n'));
  });

  it('refuses bad options before making any device', async () => {
    const before = (await api(relay.url, '/api/v1/devices', { token })).body.items.length;
    const stateFile = join(tempDir(), 'none.json');
    for (const [args, error] of [
      [['--print', '--disable-policy', 'always,sometimes'], /--disable-policy: sometimes is not one of always, ask, checkbox, delayed/],
      [['--print', '--web-port', '70000'], /--web-port is 0 to 65535/],
      [['--print', '--toner-per-page', '0'], /--toner-per-page is 0.001 to 100/],
      [['--fax-every', 'often'], /--fax-every is a number of seconds/],
      [['--ipp'], /--ipp goes with --print/],
      [['--print', '--ipp', '--cannot-cancel'], /--ipp printers take no --cannot-cancel/],
    ] as const) {
      const r = cli(relay.dataDir, ['--relay', relay.url, 'device', 'simulate', '--count', '2', '--state', stateFile, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, error);
    }
    assert.equal(existsSync(stateFile), false);
    assert.equal((await api(relay.url, '/api/v1/devices', { token })).body.items.length, before);
  });

  it('parses OID=TYPE:VALUE assignments and refuses others', () => {
    assert.deepEqual(parseAssignment('1.3.6.1.2.1.1.6.0=string:a=b:c'), { oid: '1.3.6.1.2.1.1.6.0', type: 'string', value: 'a=b:c' });
    assert.deepEqual(parseAssignment('1.3.6.1.2.1.1.7.0=integer:72'), { oid: '1.3.6.1.2.1.1.7.0', type: 'integer', value: '72' });
    assert.throws(() => parseAssignment('1.3.6=float:1'), /TYPE one of/);
    assert.throws(() => parseAssignment('sysName=string:x'), /not an assignment/);
  });
});
