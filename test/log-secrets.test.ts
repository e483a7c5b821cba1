import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { api, cliJson, ROOT, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';

const CHECK = join(ROOT, 'scripts/check-log-secrets.mjs');

/**
 * A relay at debug level, logging to a folder the way FLEETRELAY_TEST_LOG_DIR makes every test
 * relay do, is walked through every path that carries a secret; then the same check that greps a
 * whole test run's logs (scripts/check-log-secrets.mjs) must find none, and the secrets
 * themselves must appear nowhere, while the requests that carried them are still logged.
 */
describe('no capability or token reaches the logs, even at debug', () => {
  const logDir = tempDir('fleetrelay-logs-');
  let relay: RelayProcess;
  const secrets: Record<string, string> = {};

  before(async () => {
    relay = await startRelay({ logDir });
  });
  after(() => relay.stop());

  it('logs requests with claim, poll, print-page and K= secrets redacted, and the print link not at all', async () => {
    // Anonymous registration: the claim URL (also URL-encoded in the sign-in redirect) and the poll token.
    const reg = await api(relay.url, '/device/v1/register', { method: 'POST', json: { serial: 'LOG-1', model: 'M' } });
    assert.equal(reg.status, 201);
    secrets.pollToken = reg.body.pollToken;
    secrets.claimId = new URL(reg.body.claimUrl).pathname.split('/').pop()!;
    assert.equal((await api(relay.url, `/device/v1/register/${reg.body.pollToken}`)).status, 202);
    const toLogin = await api(relay.url, new URL(reg.body.claimUrl).pathname);
    assert.equal(toLogin.status, 303);
    assert.equal((await api(relay.url, toLogin.headers.get('location')!)).status, 200);

    // A device token in a CGI query string and in a URL; an API token in a query string; a /metrics guess.
    const device = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'LOG-2', '--model', 'EP-884A']);
    secrets.deviceToken = device.token;
    await api(relay.url, `/cgi-bin/cgi.remoteservice?K=${encodeURIComponent(device.token)}&V=1.0`);
    await api(relay.url, `/device/v1/self?access_token=${device.token}`);
    const admin = cliJson<{ token: string }>(relay.dataDir, ['token', 'create', '--admin']).token;
    secrets.apiToken = admin;
    await api(relay.url, `/api/v1/devices?token=${admin}`, { token: admin });
    await api(relay.url, '/metrics', { token: 'fra_a-guess-at-the-metrics-token' });

    // Print by mail without outbound mail: the control-page link is a capability.
    assert.ok((await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: device.token, json: { acceptingJobs: true } })).status < 300);
    await nodemailer
      .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true })
      .sendMail({ from: 'dave@example.com', to: `${device.deviceId}@fleetrelay.local`, subject: 'Minutes', text: 'Print me.' });
    const controlUrl = await until('the control-page link from the API', async () => {
      const r = await api(relay.url, `/api/v1/printers/${device.deviceId}/mail-requests`, { token: admin });
      return (r.body.items?.[0]?.controlUrl as string | undefined) ?? undefined;
    });
    secrets.printPage = new URL(controlUrl).pathname.split('/').pop()!;
    assert.equal((await api(relay.url, new URL(controlUrl).pathname)).status, 200);
    await relay.stop();

    const files = readdirSync(logDir);
    assert.equal(files.length, 1, 'the relay logged into the folder');
    const text = readFileSync(join(logDir, files[0]!), 'utf8');
    // Not vacuous: each request was logged (at debug), with its secret cut out.
    for (const shown of ['"url":"/device/v1/register/…"', '"url":"/claim/…"', 'next=%2Fclaim%2F…', '?K=…', '"url":"/print/…"', 'no outbound mail', 'fra_…']) assert.ok(text.includes(shown), `the log shows ${shown}`);
    for (const [name, value] of Object.entries(secrets)) assert.ok(!text.includes(value), `the ${name} is in the log`);
    const check = spawnSync(process.execPath, [CHECK, logDir], { encoding: 'utf8' });
    assert.equal(check.status, 0, `check-log-secrets found secrets:\n${check.stderr}`);
  });
});
