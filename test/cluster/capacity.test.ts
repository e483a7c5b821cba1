/**
 * A node at capacity in a cluster (issue 13): a device whose connection lands on a full node gets
 * its session on a node with room, not a refusal, so where a connection lands (round-robin between
 * workers, a sticky load balancer) strands no device while the cluster has room.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OID, PrinterMib } from '../../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../../src/device/sim/virtual-device.js';
import { gauge, provision, startCluster, type TestCluster } from '../helpers/cluster.js';
import { RawSession } from '../helpers/bosh.js';
import { api, until } from '../helpers/relay.js';

describe('a cluster whose nodes hold one session each', () => {
  let c: TestCluster;
  const devices: VirtualDevice[] = [];

  before(async () => {
    c = await startCluster(2, { args: ['--max-sessions', '1', '--bosh-wait', '2'] });
    // Room is told with each heartbeat (every 2 s): wait until node-1 has heard node-2's.
    await until('node-1 hears node-2', async () => ((await gauge(c.nodes[0]!, c.admin, 'fleetrelay_cluster_nodes')) === 2 ? true : undefined), 10_000);
  });
  after(async () => {
    for (const d of devices) await d.stop().catch(() => undefined);
    await c?.stop();
  });

  const online = async (serial: string) => {
    const credentials = provision(c, serial);
    const d = new VirtualDevice({ relayUrl: c.nodes[0]!.url, domain: 'fleetrelay.local', credentials, mib: new PrinterMib({ model: 'MFC-L2750', serial }), wait: 2 });
    devices.push(d);
    await d.start();
    assert.ok(d.connected, `${serial} holds a session`);
    return credentials.deviceId;
  };

  it('creates the session on a node with room when the one reached is full, and refuses only when every node is full', async () => {
    const [one, two] = c.nodes;
    const first = await online('CAP-1');
    assert.equal(await gauge(one!, c.admin, 'fleetrelay_bosh_sessions'), 1);

    // node-1 is full: the second device, also connecting to node-1, gets its session on node-2.
    const second = await online('CAP-2');
    assert.equal(await gauge(one!, c.admin, 'fleetrelay_bosh_sessions'), 1);
    assert.equal(await gauge(two!, c.admin, 'fleetrelay_bosh_sessions'), 1);
    for (const id of [first, second]) {
      const r = await api(one!.url, `/api/v1/devices/${id}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName] } });
      assert.equal(r.status, 200, r.text);
    }

    // Both full: a third is refused with the BOSH capacity error, wherever it asks.
    for (const node of c.nodes) {
      const refused = await new RawSession(node.url).create();
      assert.equal(refused.body.attrs.type, 'terminate', refused.text);
      assert.equal(refused.body.attrs.condition, 'undefined-condition');
    }
  });
});
