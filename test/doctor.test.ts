import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmodSync, mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cli, tempDir } from './helpers/relay.js';
import { ON_POSTGRES } from './helpers/store.js';

interface Doctor {
  ok: boolean;
  checks: { check: string; ok: boolean; detail: string }[];
}

const doctor = (dataDir: string, args: string[]): { code: number; report: Doctor } => {
  const r = cli(dataDir, ['doctor', '--json', '--host', '127.0.0.1', '--smtp-port', '0', '--fax-port', '0', ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as Doctor };
};
const check = (d: Doctor, name: string) => d.checks.find((c) => c.check === name)!;

describe('fleetrelay migrate and doctor, for operators', () => {
  it('migrate brings a new store to the newest schema once; doctor says what is wrong and exits 1 until nothing is', async () => {
    const dataDir = join(tempDir(), 'data');
    const busy = createServer();
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as AddressInfo).port;
    try {
      const before = doctor(dataDir, ['--port', String(port)]);
      assert.equal(before.code, 1);
      assert.equal(before.report.ok, false);
      assert.equal(check(before.report, 'store').ok, true, 'an empty store is reachable');
      assert.match(check(before.report, 'schema').detail, /no FleetRelay schema yet: run "fleetrelay migrate"/);
      assert.match(check(before.report, 'data-dir').detail, /does not exist/);
      assert.deepEqual(check(before.report, 'port-http'), { check: 'port-http', ok: false, detail: `127.0.0.1:${port} is in use` });

      const first = cli(dataDir, ['migrate', '--json']);
      assert.equal(first.code, 0, first.stderr);
      const m = JSON.parse(first.stdout) as { store: string; from: number; to: number };
      assert.equal(m.store, ON_POSTGRES ? 'postgres' : 'sqlite');
      assert.equal(m.from, 0);
      assert.ok(m.to >= 1);
      const again = cli(dataDir, ['migrate']);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, new RegExp(`is at schema version ${m.to}, the newest this FleetRelay knows; nothing to do`));

      mkdirSync(dataDir, { recursive: true });
      chmodSync(dataDir, 0o755);
      const open = doctor(dataDir, ['--port', String(port)]);
      assert.match(check(open.report, 'data-dir').detail, /mode 0755: others may read/);
      assert.equal(check(open.report, 'schema').ok, true);
      chmodSync(dataDir, 0o700);
    } finally {
      busy.close();
    }
    const well = doctor(dataDir, ['--port', '0']);
    assert.equal(well.code, 0, JSON.stringify(well.report));
    assert.equal(well.report.ok, true);
    assert.deepEqual(well.report.checks.map((c) => c.check), ['store', 'schema', 'data-dir']);
  });

  it('an unreachable store fails the store check with the reason, not a stack trace', () => {
    const r = cli(tempDir(), ['doctor', '--port', '0', '--smtp-port', '0', '--fax-port', '0', '--database-url', 'postgres://nobody@127.0.0.1:1/none']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAIL {2}store {6}cannot open the store: .*ECONNREFUSED/m);
    assert.equal(r.stderr, '');
  });
});
