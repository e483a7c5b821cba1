import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { anonymousBoshSession, oversizeMail, partialFaxFrame, peakRssDuring, rssMiB } from './helpers/attack.js';
import { RawFax, T } from './helpers/fax.js';
import { PrinterMib } from '../src/device/sim/printer-mib.js';
import { VirtualDevice } from '../src/device/sim/virtual-device.js';
import { adminToken, api, cliJson, startRelay, until, type RelayProcess } from './helpers/relay.js';

/**
 * The outside security review's attack steps, each against a real relay process: the relay
 * must stay healthy, its memory bounded (RSS read from /proc), and a real device still served.
 */
describe('SMTP intake under a 400 MiB DATA (issue 11 #2)', () => {
  let relay: RelayProcess;
  let printerId: string;
  before(async () => {
    relay = await startRelay();
    const c = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'SMTP-ATTACK', '--model', 'EP-884A']);
    printerId = c.deviceId;
    await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
  });
  after(() => relay.stop());

  it('reads past the limit without holding it, answers 552, and still takes the next mail', async () => {
    const before = rssMiB(relay.proc.pid!);
    let replies: string[] = [];
    const peak = await peakRssDuring(relay.proc.pid!, async () => void (replies = await oversizeMail(relay.smtpPort, `${printerId}@fleetrelay.local`, 400)));
    const [greeting, ehlo, mail, rcpt, data, answer] = replies;
    assert.match(greeting!, /^220 /);
    assert.match(ehlo!, /SIZE 26214400/);
    for (const r of [mail, rcpt]) assert.match(r!, /^250 /);
    assert.match(data!, /^354 /);
    assert.match(answer!, /^552 5\.3\.4 /);
    assert.ok(peak - before < 100, `RSS grew ${Math.round(peak - before)} MiB under 400 MiB of DATA (bound: 100 MiB; it grew 408 MiB when DATA was buffered)`);

    await nodemailer
      .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@example.com', to: `${printerId}@fleetrelay.local`, subject: 'after the attack', text: 'print me' });
    const requests = await api(relay.url, `/api/v1/printers/${printerId}/mail-requests`, { token: adminToken(relay.dataDir) });
    assert.equal(requests.body.items.length, 1, 'the next mail made a print request');
  });
});

describe('fax port before login (issue 11 #3)', () => {
  let relay: RelayProcess;
  before(async () => {
    relay = await startRelay();
    cliJson(relay.dataDir, ['fax', 'user', 'add', 'alice', '--password', 'fax-secret-1']);
  });
  after(() => relay.stop());

  it('1,500 anonymous connections each sending most of a 1 MiB frame are cut off at the header; memory stays bounded; a fax machine still logs in', async () => {
    const before = rssMiB(relay.proc.pid!);
    const peak = await peakRssDuring(relay.proc.pid!, async () => {
      // Each sends all but the last byte of a 1 MiB frame: the relay used to hold every such frame whole, waiting for the end.
      const closed = Promise.all(Array.from({ length: 1500 }, (_, i) => partialFaxFrame(relay.faxPort, `127.0.0.${2 + (i % 50)}`)));
      const bounded = new Promise((_, reject) => setTimeout(() => reject(new Error('attack connections still open after 60 s')), 60_000).unref());
      await Promise.race([closed, bounded]);
    });
    assert.ok(peak - before < 128, `RSS grew ${Math.round(peak - before)} MiB under 1,500 pre-login connections with 1 MiB frames (bound: 128 MiB; it grew 1.5 GB when each frame was held)`);

    const fax = await RawFax.login(relay.faxPort, 'alice');
    fax.send(T.LIST);
    assert.deepEqual((await fax.next(T.LIST_RESULT)).body.users, ['alice']);
    fax.socket.destroy();
  });

  it('takes a LOGIN, and nothing larger, before the login', async () => {
    const big = await RawFax.connect(relay.faxPort);
    big.send(T.HOLD, Buffer.alloc(3000, 0x20));
    assert.equal((await big.next(T.ERROR)).body.code, 'too-large');
    await big.whenClosed();
  });
});

describe('anonymous BOSH sessions against --max-sessions 200 (issue 11 #4)', () => {
  let relay: RelayProcess;
  const devices: VirtualDevice[] = [];
  before(async () => {
    relay = await startRelay({ args: ['--max-sessions', '200'] });
  });
  after(async () => {
    for (const d of devices) await d.stop().catch(() => undefined);
    await relay.stop();
  });

  const sessions = async (): Promise<number> => {
    const text = (await api(relay.url, '/metrics', { token: adminToken(relay.dataDir) })).text;
    return Number(/^fleetrelay_bosh_sessions (\d+)/m.exec(text)?.[1]);
  };

  it('do not lock out a device with a valid token, and end at the authentication deadline', async () => {
    const before = rssMiB(relay.proc.pid!);
    await Promise.all(Array.from({ length: 200 }, (_, i) => anonymousBoshSession(relay.url, `127.0.0.${2 + (i % 10)}`)));
    assert.ok((await sessions()) <= 20, 'at most a tenth of the capacity waits to authenticate');

    const credentials = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'BOSH-ATTACK', '--model', 'MFC-L2750']);
    const device = new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials, mib: new PrinterMib({ model: 'MFC-L2750', serial: 'BOSH-ATTACK' }) });
    devices.push(device);
    await device.start();
    const got = await api(relay.url, `/api/v1/devices/${credentials.deviceId}/get`, { method: 'POST', token: adminToken(relay.dataDir), json: { oids: ['1.3.6.1.2.1.1.5.0'] } });
    assert.equal(got.status, 200, JSON.stringify(got.body));

    await until('the unauthenticated sessions ended', async () => ((await sessions()) === 1 ? true : undefined), 15_000);
    assert.ok(rssMiB(relay.proc.pid!) - before < 32, 'memory bounded');
  });
});

describe('token rotation, revocation and removal with a live session (issue 11 #5)', () => {
  let relay: RelayProcess;
  let admin: string;
  const devices: VirtualDevice[] = [];
  before(async () => {
    relay = await startRelay();
    admin = adminToken(relay.dataDir);
  });
  after(async () => {
    for (const d of devices) await d.stop().catch(() => undefined);
    await relay.stop();
  });

  const online = async (serial: string): Promise<{ deviceId: string; token: string }> => {
    const credentials = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', serial, '--model', 'MFC-L2750']);
    const device = new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials, mib: new PrinterMib({ model: 'MFC-L2750', serial }) });
    devices.push(device);
    await device.start();
    return credentials;
  };
  // A short wait for the device: a probe that found the session still up must not use up the poll's whole budget.
  const get = (deviceId: string) => api(relay.url, `/api/v1/devices/${deviceId}/get`, { method: 'POST', token: admin, json: { oids: ['1.3.6.1.2.1.1.5.0'], timeoutSeconds: 2 } });
  const onlineCount = async (): Promise<number> =>
    Number(/^fleetrelay_devices_online (\d+)/m.exec((await api(relay.url, '/metrics', { token: admin })).text)?.[1]);
  const offline = (deviceId: string, ms: number) =>
    until(`${deviceId}'s session ended`, async () => ((await get(deviceId)).status === 409 ? true : undefined), ms);

  it('a token rotated through the API ends the session at once; the old token is refused; the new one is served', async () => {
    const old = await online('ROTATE-API');
    assert.equal((await get(old.deviceId)).status, 200);
    const rotated = await api(relay.url, `/api/v1/devices/${old.deviceId}/rotate-token`, { method: 'POST', token: admin });
    assert.equal(rotated.status, 200);
    const pushed = await get(old.deviceId);
    assert.equal(pushed.status, 409, 'no push reaches the session of the old token');
    assert.equal((await api(relay.url, '/device/v1/self', { token: old.token })).status, 401);

    const device = new VirtualDevice({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: { deviceId: old.deviceId, token: rotated.body.token }, mib: new PrinterMib({ model: 'MFC-L2750', serial: 'ROTATE-API' }) });
    devices.push(device);
    await device.start();
    assert.equal((await get(old.deviceId)).status, 200);
  });

  it('a token rotated, or a device removed, with the CLI on the same database ends its session within seconds', async () => {
    const a = await online('ROTATE-CLI');
    cliJson(relay.dataDir, ['device', 'rotate-token', a.deviceId, '--json']);
    // The relay reads the log every second; room for a loaded CI machine.
    await offline(a.deviceId, 8000);
    const b = await online('REMOVE-CLI');
    const onlineNow = await onlineCount();
    cliJson(relay.dataDir, ['device', 'remove', b.deviceId, '--json']);
    await until(`${b.deviceId}'s session ended`, async () => ((await onlineCount()) === onlineNow - 1 ? true : undefined), 8000);
    assert.equal((await api(relay.url, '/device/v1/self', { token: b.token })).status, 401);
  });
});
