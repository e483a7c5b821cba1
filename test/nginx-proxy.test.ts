import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OID } from '../src/device/sim/printer-mib.js';
import { VirtualPrinter } from '../src/device/sim/printer.js';
import { RawWs } from './helpers/xmpp-ws.js';
import { adminToken, api, cli, cliJson, ROOT, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';

const NGINX = '/usr/sbin/nginx';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/**
 * The nginx server block of docs/deployment.md, as written, in front of a relay: only what a
 * test host must change is changed (plain HTTP on a loopback port instead of 443 with a
 * certificate, the relay's port instead of 8080).
 */
function documentedServerBlock(listenPort: number, relayPort: number): string {
  const doc = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
  const block = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/deployment.md has an nginx block');
  return block
    .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${listenPort};`)
    .replace(/^\s*ssl_certificate(_key)?\s.*$/gm, '')
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${relayPort}`);
}

describe("the documented nginx reverse proxy (Debian's nginx)", () => {
  let relay: RelayProcess;
  let nginx: ChildProcess;
  let url: string;
  let printer: VirtualPrinter;
  before(async () => {
    relay = await startRelay({ args: ['--trust-proxy'] });
    const dir = tempDir('fleetrelay-nginx-');
    mkdirSync(join(dir, 'logs'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'nginx.conf'),
      `daemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\nevents {}\nhttp {\n  access_log off;\n` +
        `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n` +
        documentedServerBlock(port, Number(new URL(relay.url).port)) +
        '}\n',
    );
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    await until('nginx answers', async () => ((await api(url, '/healthz').catch(() => null))?.status === 200 ? true : undefined));
  });
  after(async () => {
    await printer?.stop();
    nginx?.kill();
    await relay.stop();
  });

  it('prints a 20 MB document through it: the upload, the printer\'s session and its download all pass the proxy', async () => {
    const admin = adminToken(relay.dataDir);
    const credentials = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'PROXY-1', '--model', 'EP-884A']);
    printer = new VirtualPrinter({ relayUrl: url, domain: 'fleetrelay.local', credentials });
    await printer.start();
    const file = join(tempDir(), 'big.pdf');
    writeFileSync(file, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(20 * 1024 * 1024, 0x20), Buffer.from('\n%%EOF\n')]));
    const printed = cli(relay.dataDir, ['--relay', url, '--token', admin, 'print', credentials.deviceId, file, '--json']);
    assert.equal(printed.code, 0, printed.stderr);
    const jobId = JSON.parse(printed.stdout).jobId as string;
    const job = await until('the job completed', async () => {
      const j = await api(url, `/api/v1/jobs/${jobId}`, { token: admin });
      return j.body.state === 'completed' ? j.body : undefined;
    }, 60_000);
    assert.equal(job.documentSize, 20 * 1024 * 1024 + 16);
  });

  it('passes XMPP over WebSocket: a device logs in through it and answers a pushed GET', async () => {
    const admin = adminToken(relay.dataDir);
    const device = cliJson<{ deviceId: string; jid: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'PROXY-WS', '--model', 'MFC-L2750']);
    const ws = await RawWs.connect(url);
    try {
      assert.equal(await ws.login(device.deviceId, device.token), `${device.jid}/ws`);
      const answered = api(url, `/api/v1/devices/${device.deviceId}/get`, { method: 'POST', token: admin, json: { oids: [OID.sysName] } });
      const id = /id='([^']+)'/.exec(await ws.until(/urn:fleetrelay:mgmt:1/))![1]!;
      ws.send(`<iq xmlns='jabber:client' type='result' id='${id}'><query xmlns='urn:fleetrelay:mgmt:1'><object oid='${OID.sysName}' type='string'>behind nginx</object></query></iq>`);
      const r = await answered;
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body.objects, [{ oid: OID.sysName, type: 'string', value: 'behind nginx' }]);
    } finally {
      ws.close();
    }
  });
});
