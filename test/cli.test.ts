import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { CLI, cliJson, startRelay, tempDir, type CliResult, type RelayProcess } from './helpers/relay.js';
import { ON_POSTGRES, storeArgs } from './helpers/store.js';

/** The CLI as a child process, asynchronously, so servers in this process can answer it; no --data-dir added. */
async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const p = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, FLEETRELAY_URL: '', FLEETRELAY_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(p, 'close')) as [number | null];
  return { code: code ?? -1, stdout, stderr };
}

async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('the CLI: global options, exit codes, errors a first-time user meets', () => {
  let relay: RelayProcess;
  let token: string;

  before(async () => {
    relay = await startRelay();
    token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;
  });
  after(() => relay.stop());

  it('takes global options after the command as well as before it', async () => {
    const dataDir = join(tempDir(), 'data');
    const p = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, ...storeArgs(dataDir), '--port', '0', '--host', '127.0.0.1', '--smtp-host', '127.0.0.1', '--fax-host', '127.0.0.1', '--smtp-port', '0', '--fax-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const lines = createInterface({ input: p.stdout });
      let ready: { dataDir?: string } | undefined;
      for await (const line of lines) {
        if (!line.includes('"relay ready"')) continue;
        ready = JSON.parse(line) as { dataDir: string };
        break;
      }
      assert.equal(ready?.dataDir, dataDir);
    } finally {
      p.kill('SIGTERM');
      await once(p, 'close');
    }
    const accounts = await run(['account', 'list', '--json', '--data-dir', dataDir, ...storeArgs(dataDir)]);
    assert.equal(accounts.code, 0, accounts.stderr);
    assert.deepEqual((JSON.parse(accounts.stdout) as { id: string }[]).map((a) => a.id), ['default']);
    const me = await run(['whoami', '--json', '--relay', relay.url, '--token', token]);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).kind, 'token');
  });

  it('exits 2 for invalid input, ours or the relay’s 400, and 1 for other failures', async () => {
    const g = ['--data-dir', relay.dataDir, ...storeArgs(relay.dataDir), '--relay', relay.url, '--token', token];
    const cases: [string[], 0 | 1 | 2, RegExp][] = [
      [[...g, 'account', 'list', '--no-such-option'], 2, /unknown option '--no-such-option'/],
      [[...g, 'set', 'd1', '1.3.6.1.2.1.1.5.0=text:x'], 2, /not an assignment/],
      [[...g, 'device', 'add', '--serial', 'S', '--model', 'M', '--capabilities', '{nope'], 2, /--capabilities is not valid JSON/],
      [[...g, 'token', 'create', '--expires-in', 'soon'], 2, /not a duration: soon/],
      [[...g, 'get', 'd1', 'not-an-oid'], 2, /^fleetrelay: 400 /m],
      [[...g, 'get', 'd1', '1.3.6.1.2.1.1.5.0', '--timeout', 'long'], 2, /--timeout must be a whole number/],
      [[...g, 'serve', '--port', '70000'], 2, /--port must be a whole number from 0 to 65535/],
      [[...g, 'device'], 2, /Usage: fleetrelay device/],
      [[...g, 'get', 'dnotthere', '1.3.6.1.2.1.1.5.0'], 1, /^fleetrelay: 404 /m],
      [['--data-dir', relay.dataDir, '--relay', relay.url, '--token', 'fra_wrong', 'whoami'], 1, /^fleetrelay: 401 /m],
      [[...g, 'device', 'show', 'dnotthere'], 1, /not found/],
    ];
    for (const [args, code, message] of cases) {
      const r = await run(args);
      assert.equal(r.code, code, `${args.slice(6).join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('--limit abc is a usage error, not an SQLite message', async () => {
    const r = await run(['--data-dir', relay.dataDir, ...storeArgs(relay.dataDir), 'device', 'list', '--limit', 'abc']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--limit must be a whole number from 1 to 500, not "abc"/);
    assert.doesNotMatch(r.stderr, /SQLite|datatype/i);
  });

  it('never prints a token from the environment in --help', async () => {
    const env = { FLEETRELAY_TOKEN: 'fra_secret_from_env', FLEETRELAY_DEVICE_TOKEN: 'frd_secret_from_env' };
    for (const args of [['--help'], ['whoami', '--help'], ['device', 'report', '--help'], ['device', 'simulate', '--help']]) {
      const r = await run(args, env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /--token/);
      assert.doesNotMatch(r.stdout + r.stderr, /secret_from_env/, args.join(' '));
    }
  });

  it('names the relay and the cause when it cannot be reached, and takes --relay without a scheme', async () => {
    const closed = createServer();
    const port = await listening(closed);
    closed.close();
    await once(closed, 'close');
    const r = await run(['whoami', '--relay', `http://127.0.0.1:${port}`, '--token', token]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach the relay at http://127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));

    const noScheme = await run(['whoami', '--json', '--relay', relay.url.replace(/^http:\/\//, ''), '--token', token]);
    assert.equal(noScheme.code, 0, noScheme.stderr);
    assert.equal(JSON.parse(noScheme.stdout).kind, 'token');
    const ftp = await run(['whoami', '--relay', 'ftp://example.com', '--token', token]);
    assert.equal(ftp.code, 2);
    assert.match(ftp.stderr, /--relay ftp:\/\/example\.com: the relay is reached over http:\/\/ or https:\/\//);
  });

  it('reports a non-JSON error page (a proxy’s 413) by status and first line', async () => {
    const proxy = createServer((_req, res) => {
      res.writeHead(413, 'Request Entity Too Large', { 'content-type': 'text/html' });
      res.end('<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>nginx</body>\r\n</html>\r\n');
    });
    const port = await listening(proxy);
    try {
      const r = await run(['whoami', '--relay', `http://127.0.0.1:${port}`, '--token', token]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'fleetrelay: 413 Request Entity Too Large: 413 Request Entity Too Large\n');
    } finally {
      proxy.close();
    }
  });

  it('administrative commands refuse a --data-dir without a database; init and serve create one', async () => {
    const dataDir = join(tempDir(), 'typo');
    const r = await run(['--data-dir', dataDir, ...storeArgs(dataDir), 'token', 'create', '--admin']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, ON_POSTGRES ? /no FleetRelay database in postgres:.*fleetrelay init/ : /no FleetRelay database in .*typo.*fleetrelay init/);
    assert.equal(existsSync(dataDir), false, 'nothing was made');
    const backup = await run(['--data-dir', dataDir, ...storeArgs(dataDir), 'backup', join(tempDir(), 'b.db')]);
    assert.equal(backup.code, 2);
    assert.equal(existsSync(dataDir), false);

    const init = await run(['init', '--data-dir', dataDir, ...storeArgs(dataDir)]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /created a FleetRelay database/);
    assert.match((await run(['init', '--data-dir', dataDir, ...storeArgs(dataDir)])).stdout, /already holds a FleetRelay database; nothing changed/);
    const made = await run(['--data-dir', dataDir, ...storeArgs(dataDir), 'token', 'create', '--admin', '--json']);
    assert.equal(made.code, 0, made.stderr);
  });

  it('stops quietly when its reader goes away (| head)', async () => {
    const p = spawn(process.execPath, [CLI, '--data-dir', relay.dataDir, ...storeArgs(relay.dataDir), 'token', 'list'], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.destroy(); // the reader is gone before anything is written
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(p, 'close')) as [number | null];
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
