/**
 * The console's live events across a cluster (issue 15): a page signed in on one node hears a
 * device that connects to another, an alert it raises there, and a print job moving on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sessionUrl } from '../../src/device/sdk/stream-client.js';
import { WsClient } from '../../src/device/sdk/ws-client.js';
import { provision, startCluster, type TestCluster } from '../helpers/cluster.js';
import { api, cli, until } from '../helpers/relay.js';

describe('console live events across the nodes of a cluster', () => {
  let c: TestCluster;

  before(async () => {
    c = await startCluster(2);
    assert.equal(cli(c.nodes[0]!.dataDir, ['--database-url', c.databaseUrl, 'user', 'add', 'ops', '--password', 'operator pass 1', '--admin']).code, 0);
  });
  after(() => c?.stop());

  /** Signs in on a node as a browser would: the sign-in form's CSRF cookie, then the form. */
  const signIn = async (nodeUrl: string): Promise<string> => {
    const form = await fetch(`${nodeUrl}/login`);
    const csrf = /fr_login_csrf=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
    const body = new URLSearchParams({ _csrf: csrf, next: '/', username: 'ops', password: 'operator pass 1' });
    const signed = await fetch(`${nodeUrl}/login`, { method: 'POST', body, headers: { cookie: `fr_login_csrf=${csrf}` }, redirect: 'manual' });
    return /fr_session=([^;]+)/.exec(signed.headers.get('set-cookie') ?? '')![1]!;
  };

  it('a page on node 1 hears a device connect on node 2, its alert, and its print job being fetched', async () => {
    const [one, two] = c.nodes;
    const session = await signIn(one!.url);
    const stream = new AbortController();
    const events = await fetch(`${one!.url}/events`, { headers: { cookie: `fr_session=${session}` }, signal: stream.signal });
    assert.equal(events.status, 200);
    let heard = '';
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of events.body!) heard += decoder.decode(chunk as Uint8Array, { stream: true });
    })().catch(() => undefined);
    // Node 2 learns from node 1's next heartbeat (every 2 s) that pages watch it.
    await new Promise((r) => setTimeout(r, 4500));

    const d = provision(c, 'LIVE-CL-1');
    const device = new WsClient({ url: sessionUrl(two!.url, 'websocket'), domain: 'fleetrelay.local', onStanza: () => undefined, onEnd: () => undefined });
    await device.open(d.deviceId, d.token);
    try {
      await until('node 1 tells its page the device is online', () => (heard.includes(`"deviceId":"${d.deviceId}","online":true`) ? true : undefined));
      assert.equal((await api(two!.url, '/device/v1/reports', { method: 'POST', token: d.token, json: { kind: 'error', code: '341' } })).status, 200);
      await until('and of its alert', () => (heard.includes('event: alert') && heard.includes(d.deviceId) ? true : undefined));

      assert.equal((await api(two!.url, '/device/v1/printer/state', { method: 'POST', token: d.token, json: { acceptingJobs: true, status: 'idle' } })).status, 200);
      const form = new FormData();
      form.append('document', new Blob([new Uint8Array(Buffer.from('%PDF-1.4\n%%EOF\n'))]), 'memo.pdf');
      const submitted = await fetch(`${two!.url}/api/v1/printers/${d.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${c.admin}` }, body: form });
      assert.equal(submitted.status, 201);
      const jobId = ((await submitted.json()) as { jobId: string }).jobId;
      const doc = await fetch(`${two!.url}/device/v1/jobs/${jobId}/document`, { headers: { authorization: `Bearer ${d.token}` } });
      await doc.arrayBuffer();
      await until('and of its job being fetched', () => (heard.includes(`"jobId":"${jobId}","deviceId":"${d.deviceId}","state":"fetched"`) ? true : undefined));
      assert.equal(heard.split(`"deviceId":"${d.deviceId}","online":true`).length - 1, 1, 'each event once');
    } finally {
      await device.terminate();
      stream.abort();
    }
  });
});
