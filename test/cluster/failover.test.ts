/**
 * Losing nodes (issue 13 items 6 and 7): a node killed with SIGKILL takes its devices OFFLINE on
 * every node within 10 s and ends requests waiting on it with a clear error; its devices come back
 * through the others; the lead moves when the leader dies; a node stopped with SIGTERM hands its
 * devices over.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OID, PrinterMib } from '../../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../../src/device/sim/virtual-device.js';
import { gauge, provision, roundRobin, startCluster, type TestCluster } from '../helpers/cluster.js';
import { api, until, waitForLog, type RelayProcess } from '../helpers/relay.js';

const DOMAIN = 'fleetrelay.local';

describe('a cluster losing nodes', () => {
  let c: TestCluster;
  let lb: Awaited<ReturnType<typeof roundRobin>>;
  const devices: VirtualDevice[] = [];
  const alive = (): RelayProcess[] => c.nodes.filter((n) => n.proc.exitCode === null && n.proc.signalCode === null);
  const onlineOn = async (node: RelayProcess, id: string): Promise<boolean> => (await api(node.url, `/api/v1/devices/${id}`, { token: c.admin })).body.online as boolean;
  const leaderIndex = async (): Promise<number> =>
    until('one leader', async () => {
      const l = await Promise.all(c.nodes.map((n) => (alive().includes(n) ? gauge(n, c.admin, 'fleetrelay_cluster_leader') : 0)));
      return l.filter((x) => x === 1).length === 1 ? l.indexOf(1) : undefined;
    }, 20_000);

  /** A device that never answers a GET: requests to it wait until its node is lost. */
  const device = async (serial: string, relayUrl: string, o: { silent?: boolean } = {}) => {
    const credentials = provision(c, serial);
    const mib = new PrinterMib({ model: 'MFC-L2750', serial });
    const d = new VirtualDevice({ relayUrl, domain: DOMAIN, credentials, mib, wait: 2 });
    if (o.silent) (d as unknown as { onStanza: () => void }).onStanza = () => undefined;
    devices.push(d);
    await d.start();
    await until('ONLINE everywhere', async () => ((await Promise.all(alive().map((n) => onlineOn(n, credentials.deviceId)))).every(Boolean) ? true : undefined), 5000);
    return { d, id: credentials.deviceId };
  };
  /** Which node holds the device's session: the one whose BOSH gauge dropped when it went away is hard to read, so ask each node's log. */
  const holder = (id: string): RelayProcess => {
    const n = c.nodes.find((r) => r.logs.some((l) => l.includes('"device online"') && l.includes(id)));
    assert.ok(n, `a node logged ${id} online`);
    return n;
  };

  before(async () => {
    c = await startCluster(3, { args: ['--bosh-wait', '2', '--management-timer', '60', '--push-timeout', '60', '--log-level', 'debug'] });
    lb = await roundRobin(() => c.nodes.map((n) => n.url));
  });
  after(async () => {
    for (const d of devices) await d.stop().catch(() => undefined);
    await lb?.close();
    await c?.stop();
  });

  it('kill -9: the node\'s devices are OFFLINE everywhere within 10 s, a request waiting on it fails at once then, and the device comes back through another node', async () => {
    const [a, b] = c.nodes;
    const { id: silent } = await device('FO-SILENT', a!.url, { silent: true });
    // A device behind the balancer (so it can come back through another node), pinned to A first.
    const { d, id } = await device('FO-LB', a!.url);
    (d as unknown as { o: { relayUrl: string } }).o.relayUrl = lb.url;
    assert.equal(holder(silent), a);
    // A request queued for a device that is away, delivered down its session on A and not answered yet when A dies.
    const queuedFor = provision(c, 'FO-QUEUE');
    const queued = await api(b!.url, `/api/v1/devices/${queuedFor.deviceId}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName], queue: { ttlSeconds: 600 } } });
    assert.equal(queued.status, 202, queued.text);
    const late = new VirtualDevice({ relayUrl: a!.url, domain: DOMAIN, credentials: queuedFor, mib: new PrinterMib({ model: 'MFC-L2750', serial: 'FO-QUEUE' }), wait: 2 });
    const answering = (late as unknown as { onStanza: unknown }).onStanza;
    (late as unknown as { onStanza: () => void }).onStanza = () => undefined;
    devices.push(late);
    await late.start();
    const requestState = async () => (await api(b!.url, `/api/v1/requests/${queued.body.requestId}`, { token: c.admin })).body.status as string;
    await until('delivered on A', async () => ((await requestState()) === 'delivered' ? true : undefined), 5000);
    (late as unknown as { onStanza: unknown }).onStanza = answering;
    (late as unknown as { o: { relayUrl: string } }).o.relayUrl = lb.url;

    const t0 = Date.now();
    const waiting = api(b!.url, `/api/v1/devices/${silent}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName], timeoutSeconds: 60 } });
    await new Promise((r) => setTimeout(r, 300));
    const killed = a!.stop('SIGKILL');
    const r = await waiting;
    const took = Date.now() - t0;
    assert.equal(r.status, 409, r.text);
    assert.match(r.body.detail, /relay node holding .* \(node-1\) was lost/);
    assert.ok(took < 10_000, `the waiting request ended after ${took} ms`);
    await until('OFFLINE on the others', async () => (!(await onlineOn(b!, silent)) && !(await onlineOn(c.nodes[2]!, silent)) ? true : undefined), 10_000 - (Date.now() - t0));
    await until('the balanced device is back through another node', async () => ((await onlineOn(b!, id)) ? true : undefined), 20_000);
    const again = await api(b!.url, `/api/v1/devices/${id}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName] } });
    assert.equal(again.status, 200, again.text);
    await killed;
    await until('the queued request is delivered again through another node and answered', async () => ((await requestState()) === 'answered' ? true : undefined), 20_000);
    // The stored presence (device lists filtered by it, the CLI) follows: the leader, or the next one, writes it.
    await until('stored OFFLINE', async () => {
      const stored = await api(b!.url, `/api/v1/devices?online=false&serial=FO-SILENT`, { token: c.admin });
      return stored.body.items.length === 1 ? true : undefined;
    }, 30_000);
  });

  it('the lead moves when the leader dies', async () => {
    const before = await leaderIndex();
    await c.nodes[before]!.stop('SIGKILL');
    const now = await leaderIndex();
    assert.notEqual(now, before);
    assert.ok(alive().includes(c.nodes[now]!));
  });

  it('SIGTERM hands devices over: their sessions end and they come back through the nodes left', async () => {
    // Bring the cluster back to three nodes, then stop one cleanly.
    for (const [i, n] of c.nodes.entries()) if (!alive().includes(n)) c.nodes[i] = await c.add(c.names[i]!);
    const target = alive()[0]!;
    const { d, id } = await device('FO-TERM', target.url);
    (d as unknown as { o: { relayUrl: string } }).o.relayUrl = lb.url;
    // Requests waiting on the stopping node's devices, asked there and on another node, end at once, not at their timeout.
    const { id: silent } = await device('FO-TERM-SILENT', target.url, { silent: true });
    const ask = (node: RelayProcess) => api(node.url, `/api/v1/devices/${silent}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName], timeoutSeconds: 60 } });
    const waiting = [ask(target), ask(alive()[1]!)];
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    const code = await target.stop('SIGTERM');
    assert.equal(code, 0);
    for (const r of await Promise.all(waiting)) assert.equal(r.status, 409, r.text);
    assert.ok(Date.now() - t0 < 5000, `the waiting requests ended with the node, after ${Date.now() - t0} ms`);
    const others = alive();
    await until('back ONLINE through another node', async () => ((await onlineOn(others[0]!, id)) ? true : undefined), 15_000);
    const r = await api(others[0]!.url, `/api/v1/devices/${id}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName] } });
    assert.equal(r.status, 200, r.text);
  });

  it('a node that stalls longer than a forwarded request may wait keeps its sessions: the client gets 502 and sends the same rid again, not item-not-found', async () => {
    const [owner, other] = alive();
    const events: string[] = [];
    const credentials = provision(c, 'FO-STALL');
    const d = new VirtualDevice({ relayUrl: owner!.url, domain: DOMAIN, credentials, mib: new PrinterMib({ model: 'MFC-L2750', serial: 'FO-STALL' }), wait: 2, onEvent: (e) => events.push(e) });
    devices.push(d);
    await d.start();
    const sid = d.sid;
    // From now on the device's requests reach the other node, which forwards them to the owner.
    (d as unknown as { client: { o: { url: string } } }).client.o.url = `${other!.url}/http-bind`;
    await new Promise((r) => setTimeout(r, 3000));
    owner!.proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 9000)); // past the forward's bound (wait 2 s + 5 s)
    owner!.proc.kill('SIGCONT');
    await until('ONLINE again on the other node', async () => ((await onlineOn(other!, credentials.deviceId)) ? true : undefined), 15_000);
    const r = await api(other!.url, `/api/v1/devices/${credentials.deviceId}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(d.sid, sid, `the same session throughout (events: ${events.join(', ')})`);
    assert.ok(!events.includes('session-ended'), events.join(', '));
    assert.ok(await waitForLog(other!, 'BOSH request not forwarded', 1000), 'the forwarder said why');
  });
});

