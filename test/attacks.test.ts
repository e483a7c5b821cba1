import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { LineClient, peakRssDuring, rssMiB } from './helpers/attack.js';
import { adminToken, api, cliJson, startRelay, type RelayProcess } from './helpers/relay.js';

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
    const smtp = await LineClient.open(relay.smtpPort);
    assert.match(await smtp.reply(), /^220 /);
    assert.match(await smtp.command('EHLO attacker.example'), /SIZE 26214400/);
    assert.match(await smtp.command('MAIL FROM:<mallory@example.com>'), /^250 /);
    assert.match(await smtp.command(`RCPT TO:<${printerId}@fleetrelay.local>`), /^250 /);
    assert.match(await smtp.command('DATA'), /^354 /);
    const before = rssMiB(relay.proc.pid!);
    const line = Buffer.from('X'.repeat(1022) + '\r\n');
    const peak = await peakRssDuring(relay.proc.pid!, () => smtp.pump(Buffer.concat(Array(1024).fill(line)), 400)); // 400 MiB
    const answer = await smtp.command('.');
    smtp.close();
    assert.match(answer, /^552 5\.3\.4 /);
    assert.ok(peak - before < 100, `RSS grew ${Math.round(peak - before)} MiB under 400 MiB of DATA (bound: 100 MiB; it grew 408 MiB when DATA was buffered)`);

    await nodemailer
      .createTransport({ host: '127.0.0.1', port: relay.smtpPort, secure: false, ignoreTLS: true })
      .sendMail({ from: 'alice@example.com', to: `${printerId}@fleetrelay.local`, subject: 'after the attack', text: 'print me' });
    const requests = await api(relay.url, `/api/v1/printers/${printerId}/mail-requests`, { token: adminToken(relay.dataDir) });
    assert.equal(requests.body.items.length, 1, 'the next mail made a print request');
  });
});
