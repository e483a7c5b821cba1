import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { api, cli, cliJson, CLI, startRelay, tempDir, waitForLog } from './helpers/relay.js';
import { storeSql } from './helpers/store.js';

describe('fleetrelay serve', () => {
  it('shuts down gracefully on SIGTERM, removing its pid file', async () => {
    const relay = await startRelay();
    const pidFile = join(relay.dataDir, 'relay.pid');
    assert.ok(existsSync(pidFile));
    assert.equal(await relay.stop('SIGTERM'), 0);
    assert.ok(!existsSync(pidFile));
    assert.ok(await waitForLog(relay, 'shutting down'));
  });

  it('makes a default account on first start, marks every device offline at boot, and reports health', async () => {
    const dataDir = tempDir();
    assert.equal(cli(dataDir, ['init']).code, 0);
    const d = cliJson<{ deviceId: string }>(dataDir, ['device', 'add', '--serial', 'S', '--model', 'M']);
    await storeSql(dataDir, 'UPDATE devices SET online = true'); // as a crashed relay would leave it
    const relay = await startRelay({ dataDir });
    try {
      assert.equal(cliJson<{ online: boolean }>(dataDir, ['device', 'show', d.deviceId]).online, false);
      const h = await api(relay.url, '/healthz');
      assert.deepEqual(h.body.status, 'ok');
      assert.deepEqual(cliJson<{ id: string }[]>(dataDir, ['account', 'list']).map((a) => a.id), ['default']);
    } finally {
      await relay.stop();
    }
  });

  it('starts without deprecation or schema strict-mode warnings', async () => {
    const relay = await startRelay();
    assert.equal((await api(relay.url, '/healthz')).status, 200);
    await relay.stop();
    if (!relay.proc.stdout!.readableEnded || !relay.proc.stderr!.readableEnded) await once(relay.proc, 'close');
    const noise = relay.logs.filter((l) => /deprecat|strict mode|warning/i.test(l) && !l.startsWith('{'));
    assert.deepEqual(noise, []);
  });

  it('serves HTTPS with --tls-cert and --tls-key', async () => {
    const dir = tempDir();
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const relay = await startRelay({ args: ['--tls-cert', cert, '--tls-key', key] });
    try {
      assert.match(relay.url, /^https:/);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${relay.url}/healthz`, { rejectUnauthorized: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(JSON.parse(body).status, 'ok');
    } finally {
      await relay.stop();
    }
  });

  it('refuses bad serve options with a clear message', () => {
    const dir = tempDir();
    const r = cli(dir, ['serve', '--port', '70000']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--port must be a whole number/);
    const t = cli(dir, ['serve', '--tls-cert', 'x.pem']);
    assert.match(t.stderr, /--tls-cert and --tls-key go together/);
  });
});

describe('fleetrelay CLI', () => {
  it('says in --help which commands use the data directory and which talk to a relay', () => {
    const r = cli(tempDir(), ['--help']);
    assert.equal(r.code, 0);
    for (const word of ['serve', 'account', 'user', 'token', 'device', 'backup', 'restore', '--data-dir', '--relay', '--token', 'Client commands'])
      assert.ok(r.stdout.includes(word), `--help mentions ${word}`);
  });

  it('reads a password from standard input when --password is not given, and signs in with it', async () => {
    const relay = await startRelay();
    try {
      const r = cli(relay.dataDir, ['user', 'add', 'pat', '--admin'], { input: 'piped secret 123\n' });
      assert.equal(r.code, 0, r.stderr);
      const users = cliJson<{ name: string; admin: boolean }[]>(relay.dataDir, ['user', 'list']);
      assert.deepEqual(users.map((u) => [u.name, u.admin]), [['pat', true]]);
      const short = cli(relay.dataDir, ['user', 'add', 'sam', '--password', 'short']);
      assert.equal(short.code, 2);
      assert.match(short.stderr, /password is 8/);
      const none = cli(relay.dataDir, ['user', 'add', 'sam']);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no password given/);

      // Sign in over the form, then use the session on the API: reads work, writes need X-CSRF-Token.
      const login = await fetch(`${relay.url}/login`);
      const csrfCookie = /fr_login_csrf=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
      const postLogin = (password: string, next: string) =>
        fetch(`${relay.url}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `fr_login_csrf=${csrfCookie}` },
          body: new URLSearchParams({ _csrf: csrf, username: 'pat', password, next }).toString(),
        });
      const signedIn = await postLogin('piped secret 123', '/');
      assert.equal(signedIn.status, 303);
      const setCookie = signedIn.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /fr_session=[^;]+;.*HttpOnly/i);
      assert.match(setCookie, /SameSite=Lax/i);
      const session = /fr_session=([^;]+)/.exec(setCookie)![1]!;
      const cookie = `fr_session=${session}`;
      const me = await api(relay.url, '/api/v1/me', { headers: { cookie } });
      assert.deepEqual(me.body, { kind: 'user', name: 'pat', accountId: 'default', admin: true });
      const noCsrf = await api(relay.url, '/api/v1/devices', { method: 'POST', headers: { cookie }, json: { serial: 'S', model: 'M' } });
      assert.equal(noCsrf.status, 403);
      const home = await (await fetch(`${relay.url}/`, { headers: { cookie } })).text();
      const sessionCsrf = /name="_csrf" value="([^"]+)"/.exec(home)![1]!;
      const withCsrf = await api(relay.url, '/api/v1/devices', { method: 'POST', headers: { cookie, 'x-csrf-token': sessionCsrf }, json: { serial: 'S', model: 'M' } });
      assert.equal(withCsrf.status, 201);

      const wrong = await postLogin('nope nope', '//evil.example');
      assert.equal(wrong.status, 401);
      assert.ok(!(await wrong.text()).includes('evil.example'), 'an off-site next is dropped');
    } finally {
      await relay.stop();
    }
  });

  it('talks to a running relay with --relay and --token (or FLEETRELAY_URL / FLEETRELAY_TOKEN)', async () => {
    const relay = await startRelay();
    try {
      const token = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--label', 'ci']).token;
      const me = cliJson<{ kind: string; accountId: string }>(relay.dataDir, ['--relay', relay.url, '--token', token, 'whoami']);
      assert.equal(me.accountId, 'default');
      const viaEnv = cli(relay.dataDir, ['whoami'], { env: { FLEETRELAY_URL: relay.url, FLEETRELAY_TOKEN: 'fra_wrong' } });
      assert.equal(viaEnv.code, 1);
      assert.match(viaEnv.stderr, /401/);
      const noRelay = cli(relay.dataDir, ['whoami'], { env: { FLEETRELAY_URL: '', FLEETRELAY_TOKEN: '' } });
      assert.match(noRelay.stderr, /--relay/);
    } finally {
      await relay.stop();
    }
  });

  it('the bin runs as an executable', () => {
    const out = execFileSync(CLI, ['--version'], { encoding: 'utf8' });
    assert.match(out, /^\d+\.\d+\.\d+/);
  });
});
