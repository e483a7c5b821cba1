import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertProblem } from './helpers/problem.js';
import { adminToken, api, cli, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';
import { simulate } from './helpers/simulate.js';

interface Status {
  deviceId: string;
  online: boolean;
  deviceState: string | null;
  printerState: string | null;
  errors: string[];
  supplies: { index: number; kind: string; colour: string | null; percent: number | null; level: number | null; max: number | null }[];
  counters: { total: number | null; mono: number | null; colour: number | null };
  polledAt: string | null;
  reportedAt: string | null;
}

describe('device status: the status poll, counters reports, history (issue 15)', () => {
  let relay: RelayProcess;
  let admin: string;
  let sim: ReturnType<typeof simulate>;
  let ids: string[];

  before(async () => {
    relay = await startRelay({ args: ['--status-poll', '2'] });
    admin = adminToken(relay.dataDir);
    const state = join(tempDir(), 'status-sim.json');
    sim = simulate(relay, ['--count', '2', '--state', state, '--pages-per-minute', '120', '--transport', 'websocket']);
    await sim.ready;
    ids = (JSON.parse(readFileSync(state, 'utf8')) as { relays: Record<string, { devices: { deviceId: string }[] }> }).relays[relay.url]!.devices.map((d) => d.deviceId);
  });
  after(async () => {
    sim.proc.kill('SIGINT');
    await sim.exited;
    await relay.stop();
  });

  const status = async (id: string, token = admin) => api(relay.url, `/api/v1/devices/${id}/status`, { token });

  it('the relay polls each online device for its supplies, counter and state, and keeps its counters report', async () => {
    for (const id of ids) {
      const s = await until(`a status poll of ${id}`, async () => {
        const r = (await status(id)).body as Status;
        return r.polledAt !== null && r.reportedAt !== null ? r : undefined;
      });
      assert.equal(s.online, true);
      assert.deepEqual(
        s.supplies.map((x) => [x.index, x.kind, x.colour, x.max]),
        [
          [1, 'tonerCartridge', 'black', 3000],
          [2, 'opc', null, 12000],
        ],
      );
      for (const x of s.supplies) assert.ok(x.percent !== null && x.percent > 0 && x.percent <= 100 && x.percent === Math.round((x.level! / x.max!) * 100));
      assert.equal(s.deviceState, 'running');
      assert.ok(['idle', 'printing'].includes(s.printerState ?? ''), String(s.printerState));
      assert.deepEqual(s.errors, []);
      assert.ok(s.counters.total !== null && s.counters.mono !== null && s.counters.colour !== null, JSON.stringify(s.counters));
      assert.equal((s as Status & { transport: string }).transport, 'websocket', 'what carries its session');
    }
  });

  it('polls again every interval: the toner falls as the device prints, and the history shows it', async () => {
    const id = ids[0]!;
    const first = ((await status(id)).body as Status).polledAt!;
    await until('a second poll', async () => (((await status(id)).body as Status).polledAt! > first ? true : undefined), 15_000);
    const toner = await api(relay.url, `/api/v1/devices/${id}/history?object=supply.1`, { token: admin });
    assert.equal(toner.status, 200, toner.text);
    const values = (toner.body.items as { object: string; at: string; value: number }[]).map((p) => p.value);
    assert.ok(values.length >= 2, toner.text);
    assert.ok(values.every((v, i) => i === 0 || v <= values[i - 1]!), `toner never rises without a refill: ${values}`);
    const all = await api(relay.url, `/api/v1/devices/${id}/history?from=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}`, { token: admin });
    const objects = new Set((all.body.items as { object: string }[]).map((p) => p.object));
    for (const o of ['supply.1', 'supply.2', 'counter.total', 'counter.mono', 'counter.colour']) assert.ok(objects.has(o), `${o} in ${[...objects]}`);
  });

  it('bad history queries are refused, and another account sees neither status nor history', async () => {
    const id = ids[0]!;
    assertProblem(await api(relay.url, `/api/v1/devices/${id}/history?object=toner`, { token: admin }), 400, 'validation-failed');
    assertProblem(await api(relay.url, `/api/v1/devices/${id}/history?from=yesterday`, { token: admin }), 400, 'validation-failed');
    assertProblem(await api(relay.url, `/api/v1/devices/${id}/history?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z`, { token: admin }), 400, 'validation-failed');
    cliJson(relay.dataDir, ['account', 'add', 'other-co']);
    const other = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--account', 'other-co']).token;
    assertProblem(await status(id, other), 404, 'not-found');
    assertProblem(await api(relay.url, `/api/v1/devices/${id}/history`, { token: other }), 404, 'not-found');
  });

  it('`device status` shows the same from the data directory, as a table or JSON', async () => {
    const id = ids[1]!;
    const json = cliJson<Status>(relay.dataDir, ['device', 'status', id, '--json']);
    assert.deepEqual(json.supplies.map((x) => x.kind), ['tonerCartridge', 'opc']);
    const table = cli(relay.dataDir, ['device', 'status', id]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^deviceState:\s+running$/m);
    assert.match(table.stdout, /^INDEX\s+DESCRIPTION\s+KIND\s+COLOUR\s+PERCENT/m);
    assert.match(table.stdout, /Black Toner Cartridge TN-2420\s+tonerCartridge\s+black/);
  });
});
