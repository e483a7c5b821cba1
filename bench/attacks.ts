/**
 * The outside security review's memory attacks against a real relay process (issue 11), with
 * the relay's RSS before, at its peak during, and a second after each:
 *  1. one SMTP client sending 400 MiB of DATA to a printer's address;
 *  2. 1,500 fax connections, each sending all but the last byte of a 1 MiB frame before login;
 *  3. 200 BOSH sessions that never authenticate, against --max-sessions 200.
 *
 *   npm run build && node dist/bench/attacks.js [--smtp-mib 400] [--fax 1500] [--bosh 200]
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { LineClient, peakRssDuring, rssMiB } from '../test/helpers/attack.js';
import { api, cliJson, startRelay, type RelayProcess } from '../test/helpers/relay.js';

const { values } = parseArgs({ options: { 'smtp-mib': { type: 'string', default: '400' }, fax: { type: 'string', default: '1500' }, bosh: { type: 'string', default: '200' } } });

async function measure(relay: RelayProcess, what: string, attack: () => Promise<string>): Promise<void> {
  const pid = relay.proc.pid!;
  const before = rssMiB(pid);
  let outcome = '';
  const peak = await peakRssDuring(pid, async () => void (outcome = await attack()));
  await new Promise((r) => setTimeout(r, 1000));
  console.log(`${what.padEnd(46)} RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} (+${(peak - before).toFixed(0)}) → ${rssMiB(pid).toFixed(0)} MiB a second later; ${outcome}`);
}

async function smtpData(relay: RelayProcess, mib: number): Promise<string> {
  const c = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'BENCH-SMTP', '--model', 'EP']);
  await api(relay.url, '/device/v1/printer/state', { method: 'POST', token: c.token, json: { acceptingJobs: true } });
  const smtp = await LineClient.open(relay.smtpPort);
  await smtp.reply();
  for (const line of ['EHLO bench.example', 'MAIL FROM:<bench@example.com>', `RCPT TO:<${c.deviceId}@fleetrelay.local>`, 'DATA']) await smtp.command(line);
  const mebibyte = Buffer.concat(Array(1024).fill(Buffer.from('X'.repeat(1022) + '\r\n')));
  await smtp.pump(mebibyte, mib);
  const answer = await smtp.command('.');
  smtp.close();
  return `answer "${answer.slice(0, 40)}…"`;
}

async function faxPreLogin(relay: RelayProcess, n: number): Promise<string> {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(1024 * 1024, 0);
  header[4] = 0x20;
  const payload = Buffer.alloc(1024 * 1024 - 2, 0x5a);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: relay.faxPort, localAddress: `127.0.0.${2 + (i % 50)}` }, () => s.write(Buffer.concat([header, payload])));
        s.on('error', () => {});
        s.on('close', () => resolve());
        s.resume();
      }),
    ),
  );
  return `all ${n} closed by the relay in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

async function anonymousBosh(relay: RelayProcess, n: number): Promise<string> {
  const body = `<body rid='1000' to='fleetrelay.local' wait='60' hold='1' ver='1.6' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>`;
  const created = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<boolean>((resolve) => {
        const req = request(`${relay.url}/http-bind`, { method: 'POST', localAddress: `127.0.0.${2 + (i % 10)}`, agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text.includes(' sid=')));
        });
        req.on('error', () => resolve(false));
        req.end(body);
      }),
    ),
  );
  return `${created.filter(Boolean).length} of ${n} sessions created (older ones are ended to make room)`;
}

/** Each attack on a fresh relay process, so one's heap does not hide another's. */
async function onFreshRelay(what: string, attack: (relay: RelayProcess) => Promise<string>): Promise<void> {
  const relay = await startRelay({ args: ['--max-sessions', values.bosh!] });
  try {
    await measure(relay, what, () => attack(relay));
  } finally {
    await relay.stop();
  }
}

console.log(`node ${process.version}`);
await onFreshRelay(`SMTP DATA of ${values['smtp-mib']} MiB`, (r) => smtpData(r, Number(values['smtp-mib'])));
await onFreshRelay(`${values.fax} fax connections, 1 MiB frames, no login`, (r) => faxPreLogin(r, Number(values.fax)));
await onFreshRelay(`${values.bosh} BOSH sessions that never authenticate`, (r) => anonymousBosh(r, Number(values.bosh)));
