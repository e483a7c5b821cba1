/**
 * A real three-node cluster (issue 13): relay processes on one PostgreSQL database and the
 * machine's NATS. Any request works on any node; presence reads the same everywhere; a BOSH
 * session survives requests that land on different nodes; one node leads; a node killed takes
 * its devices OFFLINE everywhere and ends what waited on it.
 */
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { OID, PrinterMib } from '../../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../../src/device/sim/virtual-device.js';
import { VirtualPrinter } from '../../src/device/sim/printer.js';
import { request, type IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { gauge, provision, roundRobin, startCluster, type TestCluster } from '../helpers/cluster.js';
import { api, until } from '../helpers/relay.js';
import { captureSmtp } from '../helpers/smtp.js';
import nodemailer from 'nodemailer';

const DOMAIN = 'fleetrelay.local';

describe('a three-node cluster on PostgreSQL and NATS', () => {
  let c: TestCluster;
  let outbound: Awaited<ReturnType<typeof captureSmtp>>;
  const devices: VirtualDevice[] = [];

  const device = async (serial: string, relayUrl: string, events: [string, unknown][] = [], agent?: Agent) => {
    const credentials = provision(c, serial);
    const d = new VirtualDevice({ relayUrl, domain: DOMAIN, credentials, agent, mib: new PrinterMib({ model: 'MFC-L2750', serial }), wait: 2, onEvent: (e, x) => events.push([e, x]) });
    devices.push(d);
    await d.start();
    assert.ok(d.connected, `${serial} holds a session`);
    // Nodes learn of a new session within a batch interval (50 ms) and a hop on the bus.
    await until('ONLINE on every node', async () => ((await Promise.all(c.nodes.map((n) => onlineOn(n.url, credentials.deviceId)))).every(Boolean) ? true : undefined), 5000);
    return { d, id: credentials.deviceId, events };
  };
  const get = (nodeUrl: string, deviceId: string) =>
    api(nodeUrl, `/api/v1/devices/${deviceId}/get`, { method: 'POST', token: c.admin, json: { oids: [OID.sysName] } });
  const onlineOn = async (nodeUrl: string, deviceId: string): Promise<boolean> => (await api(nodeUrl, `/api/v1/devices/${deviceId}`, { token: c.admin })).body.online as boolean;

  before(async () => {
    outbound = await captureSmtp();
    c = await startCluster(3, { args: ['--bosh-wait', '2', '--management-timer', '30', '--smtp-url', outbound.url] });
  });
  after(async () => {
    for (const d of devices) await d.stop().catch(() => undefined);
    await c?.stop();
    await outbound?.close();
  });

  it('a GET accepted on one node reaches a device whose session is on another, and the answer comes back', async () => {
    const [a, b, third] = c.nodes;
    const { id } = await device('CL-PUSH-1', a!.url);
    for (const node of [b!, third!]) {
      const r = await get(node.url, id);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.objects, [{ oid: OID.sysName, type: 'string', value: 'CL-PUSH-1' }]);
    }
  });

  it('a device online nowhere is a 409 at once on every node, not a wait for the push timeout', async () => {
    const id = provision(c, 'CL-NOWHERE').deviceId;
    for (const node of c.nodes) {
      const t0 = Date.now();
      const r = await get(node.url, id);
      assert.equal(r.status, 409, r.text);
      assert.ok(Date.now() - t0 < 2000, `answered in ${Date.now() - t0} ms`);
    }
  });

  it('presence reads the same on every node, and a device that logs in on another node moves there', async () => {
    const [a, b, third] = c.nodes;
    const events: [string, unknown][] = [];
    const { d, id } = await device('CL-MOVE', a!.url, events);
    const heldOnA = await gauge(a!, c.admin, 'fleetrelay_bosh_sessions');

    // The same device (its credentials) logs in again through node B: the session on A ends.
    const again = new VirtualDevice({ relayUrl: b!.url, domain: DOMAIN, credentials: (d as unknown as { o: { credentials: { deviceId: string; jid: string; token: string } } }).o.credentials, mib: new PrinterMib({ model: 'MFC-L2750', serial: 'CL-MOVE' }), wait: 2 });
    devices.push(again);
    d.powerOff(); // the old one stops retrying; its session on A is still held there
    await again.start();
    await until('the old session on A is ended', async () => ((await gauge(a!, c.admin, 'fleetrelay_bosh_sessions')) === heldOnA - 1 ? true : undefined), 5000);
    const r = await get(third!.url, id);
    assert.equal(r.status, 200, r.text);
    for (const n of c.nodes) assert.equal(await onlineOn(n.url, id), true);
    assert.equal(await gauge(third!, c.admin, 'fleetrelay_devices_online') >= 1, true);
  });

  it('a BOSH session whose requests alternate between two nodes keeps working (no sticky routing)', async () => {
    const [a, b] = c.nodes;
    const lb = await roundRobin(() => [a!.url, b!.url]);
    try {
      // A new connection for every request: the balancer sends each to the next node.
      const { d, id } = await device('CL-RR', lb.url, [], new Agent({ keepAlive: false }));
      for (let i = 0; i < 6; i++) {
        const r = await get(c.nodes[i % 3]!.url, id);
        assert.equal(r.status, 200, r.text);
      }
      assert.ok(d.connected, 'the session is still up');
      assert.ok((lb.connections[0] ?? 0) > 0 && (lb.connections[1] ?? 0) > 0, `requests reached both nodes: ${lb.connections.join(', ')}`);
    } finally {
      await lb.close();
    }
  });

  const submit = async (nodeUrl: string, deviceId: string, doc: Buffer): Promise<string> => {
    const form = new FormData();
    form.append('document', new Blob([new Uint8Array(doc)]), 'doc.pdf');
    const r = await fetch(`${nodeUrl}/api/v1/printers/${deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${c.admin}` }, body: form });
    assert.equal(r.status, 201, await r.clone().text());
    return ((await r.json()) as { jobId: string }).jobId;
  };
  const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4_000, 0x20), Buffer.from('\n%%EOF\n')]);
  const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

  it('print: a job submitted on one node is announced to its printer on another and printed; any node serves its document', async () => {
    const [a, b, third] = c.nodes;
    const credentials = provision(c, 'CL-PRN-1');
    const printer = new VirtualPrinter({ relayUrl: a!.url, domain: DOMAIN, credentials });
    try {
      await printer.start();
      await until('ONLINE on B', async () => ((await onlineOn(b!.url, credentials.deviceId)) ? true : undefined), 5000);
      const jobId = await submit(b!.url, credentials.deviceId, PDF);
      const doc = await fetch(`${third!.url}/device/v1/jobs/${jobId}/document`, { headers: { authorization: `Bearer ${credentials.token}` } });
      assert.equal(sha(new Uint8Array(await doc.arrayBuffer())), sha(PDF), 'node C serves the document');
      await until('printed', () => (printer.printed.includes(jobId) ? true : undefined), 10_000);
    } finally {
      await printer.stop();
    }
  });

  it('print: jobs held while the printer was away are announced when it comes back on another node', async () => {
    const [a, , third] = c.nodes;
    const credentials = provision(c, 'CL-PRN-HELD');
    assert.equal((await api(a!.url, '/device/v1/printer/state', { method: 'POST', token: credentials.token, json: { acceptingJobs: true } })).status, 200);
    const jobId = await submit(a!.url, credentials.deviceId, PDF);
    const printer = new VirtualPrinter({ relayUrl: third!.url, domain: DOMAIN, credentials });
    try {
      await printer.start();
      await until('printed after it came back on node C', () => (printer.printed.includes(jobId) ? true : undefined), 10_000);
    } finally {
      await printer.stop();
    }
  });

  it('print: a cancel on one node cuts off the download under way on another', async () => {
    const [, b, third] = c.nodes;
    const credentials = provision(c, 'CL-PRN-DL');
    await api(b!.url, '/device/v1/printer/state', { method: 'POST', token: credentials.token, json: { acceptingJobs: true } });
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(32 * 1024 * 1024, 0x41)]);
    const jobId = await submit(b!.url, credentials.deviceId, big);
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request(`${third!.url}/device/v1/jobs/${jobId}/document`, { headers: { authorization: `Bearer ${credentials.token}` } }).on('response', resolve).on('error', reject).end();
    });
    assert.equal(res.statusCode, 200);
    let received = 0;
    await new Promise<void>((resolve) => res.once('data', (chunk: Buffer) => ((received += chunk.length), res.pause(), resolve())));
    const canceled = await api(b!.url, `/api/v1/jobs/${jobId}/cancel`, { method: 'POST', token: c.admin });
    assert.equal(canceled.body.state, 'canceled', canceled.text);
    res.on('data', (chunk: Buffer) => (received += chunk.length)).on('error', () => undefined);
    await new Promise((resolve) => res.once('close', resolve).resume());
    assert.equal(res.complete, false, 'the download on node C was cut short');
    assert.ok(received < big.length, `received ${received} of ${big.length} bytes`);
  });

  it('print by mail: mail taken in by one node, its control page pressed on another, the job printed by a printer on a third', async () => {
    const [a, b, third] = c.nodes;
    const credentials = provision(c, 'CL-PRN-MAIL');
    const printer = new VirtualPrinter({ relayUrl: a!.url, domain: DOMAIN, credentials });
    try {
      await printer.start();
      await nodemailer
        .createTransport({ host: '127.0.0.1', port: b!.smtpPort, secure: false, ignoreTLS: true })
        .sendMail({ from: 'erin@example.com', to: `${credentials.deviceId}@${DOMAIN}`, subject: 'Cluster', attachments: [{ filename: 'doc.pdf', content: PDF }] });
      const mail = await until('the control-page link mailed back', () => outbound.mails.find((m) => m.to.includes('erin@example.com')), 10_000);
      const link = /http:\/\/127\.0\.0\.1:\d+(\/print\/[A-Za-z0-9_-]+)/.exec(mail.raw.replace(/=\r?\n/g, ''));
      assert.ok(link, mail.raw);
      const pressed = await fetch(`${third!.url}${link[1]}`, { method: 'POST', body: new URLSearchParams({ action: 'print', file: '0', copies: '1', media: 'iso_a4_210x297mm', color: 'monochrome', quality: 'normal' }), redirect: 'manual' });
      assert.equal(pressed.status, 303, 'the page on node C took the press');
      const jobs = await until('a job', async () => {
        const items = (await api(a!.url, `/api/v1/jobs?printerId=${credentials.deviceId}`, { token: c.admin })).body.items as { jobId: string; source: string }[];
        return items.length ? items : undefined;
      });
      assert.equal(jobs[0]!.source, 'mail');
      await until('printed', () => (printer.printed.includes(jobs[0]!.jobId) ? true : undefined), 10_000);
    } finally {
      await printer.stop();
    }
  });

  it('exactly one node leads (sweeps, outbox retries)', async () => {
    const leaders = await until('one leader', async () => {
      const l = await Promise.all(c.nodes.map((n) => gauge(n, c.admin, 'fleetrelay_cluster_leader')));
      return l.reduce((x, y) => x + y, 0) === 1 ? l : undefined;
    }, 15_000);
    assert.equal(leaders.filter((x) => x === 1).length, 1);
    for (const n of c.nodes) assert.equal(await gauge(n, c.admin, 'fleetrelay_cluster_nodes'), 3);
  });
});
