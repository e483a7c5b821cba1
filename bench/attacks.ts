/**
 * The outside security review's memory attacks against a real relay process (issue 11), with
 * the relay's RSS before, at its peak during, and a second after each:
 *  1. one SMTP client sending 400 MiB of DATA to a printer's address;
 *  2. 1,500 fax connections, each sending all but the last byte of a 1 MiB frame before login;
 *  3. 200 BOSH sessions that never authenticate, against --max-sessions 200.
 *
 *   npm run build && node dist/bench/attacks.js [--smtp-mib 400] [--fax 1500] [--bosh 200]
 */
import { parseArgs } from 'node:util';
import { anonymousBoshSession, oversizeMail, partialFaxFrame, peakRssDuring, rssMiB } from '../test/helpers/attack.js';
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
  const answer = (await oversizeMail(relay.smtpPort, `${c.deviceId}@fleetrelay.local`, mib)).at(-1)!;
  return `answer "${answer.slice(0, 40)}…"`;
}

async function faxPreLogin(relay: RelayProcess, n: number): Promise<string> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => partialFaxFrame(relay.faxPort, `127.0.0.${2 + (i % 50)}`)));
  return `all ${n} closed by the relay in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

async function anonymousBosh(relay: RelayProcess, n: number): Promise<string> {
  const sids = await Promise.all(Array.from({ length: n }, (_, i) => anonymousBoshSession(relay.url, `127.0.0.${2 + (i % 10)}`).catch(() => '')));
  return `${sids.filter((x) => /^[a-z2-7]+$/.test(x)).length} of ${n} sessions created (older ones are ended to make room)`;
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
