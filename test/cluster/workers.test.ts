/**
 * `serve --workers N` (issue 13): N relay processes on one host sharing its ports, each a node of
 * the cluster; on SQLite they share the one database file (WAL). A worker that dies is started
 * again; SIGTERM stops them all.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OID, PrinterMib } from '../../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../../src/device/sim/virtual-device.js';
import { NATS_URL } from '../helpers/cluster.js';
import { execFileSync } from 'node:child_process';
import { api, cli, CLI, startRelay, tempDir, until, waitForLog, type RelayProcess } from '../helpers/relay.js';

/** Ports free now: bound on 0 and let go. */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((r) => { const s = createServer(); s.listen(0, '127.0.0.1', () => r(s)); })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

describe('serve --workers', () => {
  it('needs --nats-url, and fixed ports', () => {
    const r = cli(tempDir(), ['serve', '--workers', '2', '--port', '0']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--workers needs --nats-url/);
    const zero = cli(tempDir(), ['serve', '--workers', '2', '--nats-url', NATS_URL, '--port', '0']);
    assert.equal(zero.code, 2, zero.stderr);
    assert.match(zero.stderr, /--workers needs fixed ports/);
  });

  it('doctor checks the cluster\'s NATS: reachable, with JetStream', async () => {
    const dir = tempDir();
    const [closed] = await freePorts(1);
    const run = (url: string) => cli(dir, ['doctor', '--json', '--host', '127.0.0.1', '--port', '0', '--smtp-port', '0', '--fax-port', '0', '--nats-url', url]);
    const nats = (r: ReturnType<typeof run>) => (JSON.parse(r.stdout) as { checks: { check: string; ok: boolean; detail: string }[] }).checks.find((c) => c.check === 'nats')!;
    const good = nats(run(NATS_URL));
    assert.equal(good.ok, true, good.detail);
    assert.match(good.detail, /JetStream on/);
    const bad = run(`nats://127.0.0.1:${closed}`);
    assert.equal(bad.code, 1);
    assert.match(nats(bad).detail, /cannot reach NATS/);
  });

  describe('two workers on one SQLite file', () => {
    let relay: RelayProcess;
    let admin: string;
    let device: VirtualDevice;
    const dataDir = tempDir('fleetrelay-workers-');
    /** The CLI on the workers' SQLite file, whichever store the rest of the run uses. */
    const sqliteCli = <T>(args: string[]): T => JSON.parse(execFileSync(process.execPath, [CLI, '--data-dir', dataDir, ...args, '--json'], { encoding: 'utf8' })) as T;

    /** A request on a new connection (taken by whichever worker accepts it first); with the node that answered. */
    const viaNewConnection = (method: string, path: string, body?: string): Promise<{ status: number; node: string; body: string }> =>
      new Promise((resolve, reject) => {
        const headers = { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) };
        httpRequest(`${relay.url}${path}`, { method, agent: false, headers }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, node: String(res.headers['x-fleetrelay-node']), body: text }));
        })
          .on('error', reject)
          .end(body);
      });
    const getVia = (deviceId: string) => viaNewConnection('POST', `/api/v1/devices/${deviceId}/get`, JSON.stringify({ oids: [OID.sysName] }));
    /** Both workers count two nodes: each has heard the other's heartbeat (asking one is not enough). */
    const bothSeeTwoNodes = async (): Promise<void> => {
      const seen = new Set<string>();
      await until('each worker sees both nodes', async () => {
        const r = await viaNewConnection('GET', '/metrics').catch(() => null);
        if (r && /^fleetrelay_cluster_nodes 2$/m.test(r.body)) seen.add(r.node);
        return seen.size === 2 ? true : undefined;
      }, 20_000);
    };

    before(async () => {
      const [port, smtpPort, faxPort] = await freePorts(3);
      const ports = ['--port', String(port), '--smtp-port', String(smtpPort), '--fax-port', String(faxPort)];
      relay = await startRelay({ dataDir, sqlite: true, args: ['--workers', '2', '--nats-url', NATS_URL, '--node-id', 'wk', '--bosh-wait', '2', ...ports] });
      admin = sqliteCli<{ token: string }>(['token', 'create', '--admin']).token;
    });
    after(async () => {
      await device?.stop().catch(() => undefined);
      await relay?.stop();
    });

    it('both workers serve one port as one relay: a device on one is reached through the other', async () => {
      await bothSeeTwoNodes();
      const credentials = sqliteCli<{ deviceId: string; jid: string; token: string }>(['device', 'add', '--serial', 'WK-1', '--model', 'MFC']);
      // A new connection per request: each is taken by whichever worker accepts it first.
      device = new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials, agent: new Agent({ keepAlive: false }), mib: new PrinterMib({ model: 'MFC', serial: 'WK-1' }), wait: 2 });
      await device.start();
      await until('ONLINE', async () => ((await api(relay.url, `/api/v1/devices/${credentials.deviceId}`, { token: admin })).body.online === true ? true : undefined), 5000);
      const nodes = new Set<string>();
      for (let i = 0; i < 60 && nodes.size < 2; i++) {
        const r = await getVia(credentials.deviceId);
        // A worker hears of a session on the other within a gossip batch (50 ms) and a hop on NATS.
        if (r.status === 409 && i < 20) {
          await new Promise((res) => setTimeout(res, 100));
          continue;
        }
        assert.equal(r.status, 200, r.body);
        assert.deepEqual(JSON.parse(r.body).objects, [{ oid: OID.sysName, type: 'string', value: 'WK-1' }]);
        nodes.add(r.node);
      }
      assert.deepEqual([...nodes].sort(), ['wk-w1', 'wk-w2'], 'both workers answered: the one holding the session and the other');
    });

    it('a worker killed is started again; SIGTERM stops them all and removes the pid file', async () => {
      const pids = execFileSync('pgrep', ['-P', String(relay.proc.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
      assert.equal(pids.length, 2);
      process.kill(pids[0]!, 'SIGKILL');
      assert.ok(await waitForLog(relay, 'relay worker died; starting it again', 5000));
      await bothSeeTwoNodes();
      assert.ok(existsSync(join(dataDir, 'relay.pid')));
      assert.equal(await relay.stop('SIGTERM'), 0);
      assert.ok(!existsSync(join(dataDir, 'relay.pid')));
      assert.throws(() => (process.kill(pids[1]!, 0), undefined), 'the other worker is gone too');
    });
  });
});
