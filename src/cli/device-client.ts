import type { Command } from 'commander';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMI_TYPES } from '../domain/push.js';
import { Simulator, type SimulatorOptions } from '../device/sim/simulator.js';
import type { DisablePolicy } from '../device/sdk/cloud-print-settings.js';
import { sendReport, type DeviceReport } from '../device/sdk/remote-service.js';
import { defaults } from '../config.js';
import { callRelay, requireRelay } from './client.js';
import { faxEndpoint } from './fax.js';
import type { GlobalOptions } from './context.js';
import { RelayError, UsageError } from './errors.js';
import { printJson, printTable } from './output.js';
import { decimal, wholeNumber } from './parse.js';
import { connectionCause, relayUrl } from './relay-http.js';
import { SIM_MODELS, simulatedDevices } from './sim-state.js';

interface PushOutput {
  requestId: string;
  objects: { oid: string; type?: string; value?: string | number; error?: string }[];
}

const show = (r: PushOutput, json?: boolean): void => {
  if (json) return printJson(r);
  printTable(r.objects.map((o) => ({ oid: o.oid, type: o.type ?? '-', value: o.error ? `(${o.error})` : o.value })), ['oid', 'type', 'value']);
};

/** "1.3.6.1.2.1.1.6.0=string:3rd floor" → { oid, type, value }. */
export function parseAssignment(a: string): { oid: string; type: string; value: string } {
  const m = /^([0-9.]+)=([a-z0-9]+):(.*)$/s.exec(a);
  if (!m || !(SMI_TYPES as readonly string[]).includes(m[2]!))
    throw new UsageError(`not an assignment: ${a} (use OID=TYPE:VALUE, TYPE one of ${SMI_TYPES.join(', ')})`);
  return { oid: m[1]!, type: m[2]!, value: m[3]! };
}

const pushTimeout = (v: string | undefined): { timeoutSeconds?: number } =>
  v === undefined ? {} : { timeoutSeconds: wholeNumber('--timeout', v, 1, defaults.pushMaxTimeoutSeconds) };

export function pushCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('get <deviceId> <oid...>')
    .description('GET objects from a device through the relay (uses --relay and --token)')
    .option('--timeout <seconds>', 'how long to wait for the device')
    .option('--json', 'print JSON')
    .action(async (deviceId: string, oids: string[], o: { timeout?: string; json?: boolean }) => {
      const body = { oids, ...pushTimeout(o.timeout) };
      show((await callRelay(g(), 'POST', `api/v1/devices/${encodeURIComponent(deviceId)}/get`, body)) as PushOutput, o.json);
    });

  program
    .command('set <deviceId> <assignment...>')
    .description('SET objects on a device, all or nothing: OID=TYPE:VALUE … (uses --relay and --token)')
    .option('--timeout <seconds>', 'how long to wait for the device')
    .option('--json', 'print JSON')
    .action(async (deviceId: string, assignments: string[], o: { timeout?: string; json?: boolean }) => {
      const body = { objects: assignments.map(parseAssignment), ...pushTimeout(o.timeout) };
      show((await callRelay(g(), 'POST', `api/v1/devices/${encodeURIComponent(deviceId)}/set`, body)) as PushOutput, o.json);
    });
}

/** "error 341", "user scumming on the left", "order Type2 2", "counters 46456 34842 11614", "cleared 341", "heartbeat". */
export function parseReportArgs(kind: string, args: string[]): DeviceReport {
  const need = (n: number, usage: string): void => {
    if (args.length < n) throw new UsageError(`usage: device report ${kind} ${usage}`);
  };
  const num = (v: string, name: string): number => {
    if (!/^\d{1,16}$/.test(v)) throw new UsageError(`${name} is a whole number`);
    return Number(v);
  };
  switch (kind) {
    case 'error':
    case 'cleared':
      need(1, '<code> [namespace]');
      return { kind, code: args[0]!, ...(args[1] ? { namespace: args[1] } : {}) };
    case 'user':
      need(1, '<text…>');
      return { kind: 'user-report', text: args.join(' ') };
    case 'order':
      need(1, '<code> [quantity]');
      return { kind: 'order', code: args[0]!, quantity: args[1] ? num(args[1], 'quantity') : 1 };
    case 'counters':
      need(3, '<total> <mono> <colour>');
      return { kind: 'counters', total: num(args[0]!, 'total'), mono: num(args[1]!, 'mono'), colour: num(args[2]!, 'colour') };
    case 'heartbeat':
      return { kind: 'heartbeat' };
    default:
      throw new UsageError(`unknown report kind ${kind}: error, user, order, counters, cleared or heartbeat`);
  }
}

export function deviceReportCommand(device: Command, g: () => GlobalOptions): void {
  device
    .command('report <kind> [args...]')
    .description('send a report as a device (seed 004): error <code> | user <text> | order <code> [qty] | counters <total> <mono> <colour> | cleared <code> | heartbeat (uses --relay)')
    .option('--device-token <token>', 'the device token (env FLEETRELAY_DEVICE_TOKEN)')
    .option('--form', "send the seed's CGI form (/cgi-bin/cgi.remoteservice) instead of JSON")
    .option('--registration-number <n>', 'U= in the form')
    .option('--json', 'print JSON')
    .action(async (kind: string, args: string[], o: { deviceToken?: string; form?: boolean; registrationNumber?: string; json?: boolean }) => {
      const relay = relayUrl(requireRelay(g(), 'device report talks to a running relay').href);
      const token = o.deviceToken || process.env.FLEETRELAY_DEVICE_TOKEN;
      if (!token) throw new UsageError('device report needs the device token: give --device-token T (or FLEETRELAY_DEVICE_TOKEN)');
      const report = parseReportArgs(kind, args);
      const reply = await sendReport({ relayUrl: relay, token, report, form: o.form ? { registrationNumber: o.registrationNumber ?? null } : undefined }).catch((err: unknown) => {
        // The SDK's errors start with the relay's status; anything else is the connection.
        const message = err instanceof Error ? err.message : String(err);
        const status = /^(\d{3})\b/.exec(message);
        if (status) throw new RelayError(Number(status[1]), message);
        if (err instanceof SyntaxError) throw new Error(`the relay at ${relay} did not answer with JSON (${message})`);
        throw new Error(`cannot reach the relay at ${relay}: ${connectionCause(err)}`);
      });
      if (o.json) return printJson(reply);
      process.stdout.write(`reception ${reply.reception} at ${reply.receivedAt}: ${reply.type} — ${reply.description}\n`);
      for (const r of reply.requests ?? []) process.stdout.write(`request ${JSON.stringify(r)}\n`);
    });
}

interface CloudPrintFlags {
  ipp?: boolean;
  cannotCancel?: boolean;
  pageMs: string;
  disablePolicy: string;
  stopDelay: string;
  toner: string;
  tonerPerPage?: string;
  webPort?: string;
  webHost: string;
}

const POLICIES: readonly DisablePolicy[] = ['always', 'ask', 'checkbox', 'delayed'];

function cloudPrintOptions(o: CloudPrintFlags): NonNullable<SimulatorOptions['cloudPrint']> {
  const policies = o.disablePolicy.split(',').map((p) => p.trim());
  const unknown = policies.find((p) => !POLICIES.includes(p as DisablePolicy));
  if (unknown !== undefined) throw new UsageError(`--disable-policy: ${unknown || '(empty)'} is not one of ${POLICIES.join(', ')}`);
  const number = decimal;
  const webPort = o.webPort === undefined ? undefined : number('--web-port', o.webPort, 0, 65535);
  if (o.ipp) {
    const sessionOnly = [o.cannotCancel && '--cannot-cancel', o.disablePolicy !== 'always' && '--disable-policy', o.tonerPerPage !== undefined && '--toner-per-page', webPort !== undefined && '--web-port'].filter(Boolean);
    if (sessionOnly.length) throw new UsageError(`--ipp printers take no ${sessionOnly.join(', ')} (those are the session printers' settings)`);
    return { ipp: true, pageMs: number('--page-ms', o.pageMs, 0, 600_000) };
  }
  return {
    canCancel: !o.cannotCancel,
    pageMs: number('--page-ms', o.pageMs, 0, 600_000),
    policies: policies as DisablePolicy[],
    stopDelayMs: number('--stop-delay', o.stopDelay, 1, 7 * 86400) * 1000,
    toner: o.tonerPerPage === undefined ? undefined : { percent: number('--toner', o.toner, 0, 100), perPagePercent: number('--toner-per-page', o.tonerPerPage, 0.001, 100) },
    web: webPort === undefined ? undefined : { port: webPort, host: o.webHost },
  };
}

export function simulateCommand(device: Command, g: () => GlobalOptions): void {
  device
    .command('simulate')
    .description('run N virtual MFPs (or, with --print, cloud printers) against a running relay (--relay), provisioning them with --token or from --data-dir, reusing them from --state')
    .requiredOption('--count <n>', 'how many devices')
    .option('--state <file>', 'where the simulated devices and their tokens are kept, per relay URL', 'simulator-state.json')
    .option('--answer-via <how>', 'answer pushes over the "session" or session-less "http"', 'session')
    .option('--survival <seconds>', 'the device timer: survival notification period', '60')
    .option('--wait <seconds>', 'BOSH wait the devices ask for', '60')
    .option('--transport <t>', 'how the MFPs hold their XMPP session: bosh (HTTP long-polls) or websocket (RFC 7395)', 'bosh')
    .option('--source <addresses>', 'comma-separated source addresses to spread devices over')
    .option('--pages-per-minute <n>', 'remote management (seed 004): each device prints this many pages a minute and reports toner, jams, counters, firmware')
    .option('--jam-probability <p>', 'with --pages-per-minute: chance a page jams', '0.001')
    .option('--print', 'cloud printers (seeds 002, 003) instead of push-answering MFPs: they accept jobs, fetch and print them')
    .option('--ipp', 'with --print: printers that fetch over IPP INFRA (Get-Notifications, Fetch-Job, Fetch-Document, Update-Job-Status at /ipp/print/{id}) instead of holding an XMPP session')
    .option('--cannot-cancel', 'with --print: printers that cannot cancel a job they have')
    .option('--page-ms <ms>', 'with --print: time to print a page', '200')
    .option('--disable-policy <list>', 'with --print: what disabling the service does to accepting jobs (seed 003): always (stop at once), ask (the printer asks on its page afterwards), checkbox (a box on its settings page decides) or delayed; a comma list is dealt out to the printers in turn', 'always')
    .option('--stop-delay <seconds>', 'with --disable-policy delayed: how long disabled before acceptance stops', '3600')
    .option('--toner <percent>', 'with --print: the toner left in each printer', '100')
    .option('--toner-per-page <percent>', 'with --print: toner a page uses; a predicted shortage stops acceptance until the cartridge is replaced')
    .option('--web-port <port>', "with --print: serve the printers' own web pages (settings, inquiry and completion pages) on this port (0: any free one)")
    .option('--web-host <address>', 'with --web-port: the address to listen on', '127.0.0.1')
    .option('--fax-host <host[:port]>', "give every MFP a fax line (seed 001): a fax user logged in at the relay's fax port")
    .option('--fax-every <seconds>', 'with --fax-host: one MFP faxes a page to another this often (0: only listen)', '0')
    .action(async (o: { count: string; state: string; answerVia: string; survival: string; wait: string; transport: string; source?: string; pagesPerMinute?: string; jamProbability: string; faxHost?: string; faxEvery: string; print?: boolean } & CloudPrintFlags) => {
      const globals = g();
      const relay = relayUrl(requireRelay(globals, 'the simulated devices connect to a running relay').href);
      const count = wholeNumber('--count', o.count, 1, 100_000);
      if (o.answerVia !== 'session' && o.answerVia !== 'http') throw new UsageError('--answer-via is session or http');
      if (o.transport !== 'bosh' && o.transport !== 'websocket') throw new UsageError('--transport is bosh or websocket');
      // Every option is checked before any device is made.
      if (o.ipp && !o.print) throw new UsageError('--ipp goes with --print');
      const cloudPrint = o.print ? cloudPrintOptions(o) : undefined;
      const survival = wholeNumber('--survival', o.survival, 1, 86_400);
      const wait = wholeNumber('--wait', o.wait, 1, 300);
      const pagesPerMinute = o.pagesPerMinute === undefined ? undefined : decimal('--pages-per-minute', o.pagesPerMinute, 0, 10_000);
      const jamProbability = decimal('--jam-probability', o.jamProbability, 0, 1);
      const faxEvery = Number(o.faxEvery);
      if (!Number.isFinite(faxEvery) || faxEvery < 0) throw new UsageError('--fax-every is a number of seconds');
      const faxAt = o.faxHost ? faxEndpoint(o.faxHost) : null;
      const kind = o.print ? 'virtual printers' : 'virtual MFPs';
      const model = o.print ? SIM_MODELS.printer : SIM_MODELS.mfp;
      const say = (line: string): boolean => process.stderr.write(`${line}\n`);
      const state = await simulatedDevices(globals, { relay, count, model, stateFile: o.state, withFax: Boolean(o.faxHost), say });
      const sim = new Simulator({
        relayUrl: relay,
        domain: state.domain,
        devices: state.devices,
        answerVia: o.answerVia,
        survivalMs: survival * 1000,
        wait,
        transport: o.transport,
        localAddresses: o.source?.split(',').filter(Boolean),
        pagesPerMinute,
        jamProbability,
        cloudPrint,
        fax: faxAt
          ? {
              endpoint: faxAt,
              inbox: mkdtempSync(join(tmpdir(), 'fleetrelay-sim-fax-')),
              sendEveryMs: faxEvery * 1000,
              onFax: (e) => process.stdout.write(`fax ${e.from} → ${e.to}: ${e.ok ? e.detail : `failed: ${e.detail}`}\n`),
            }
          : undefined,
      });
      say(`starting ${count} ${kind} against ${relay}`);
      await sim.start((n) => process.stderr.write(`  ${n} started\n`));
      process.stdout.write(`${sim.connected} of ${count} devices connected; Ctrl-C to stop\n`);
      if (sim.webUrl) process.stdout.write(`printer web pages at ${sim.webUrl}\n`);
      const faxes = (): string => (faxAt ? `, ${sim.faxMachines.length} fax lines, ${sim.faxesSent} faxes sent, ${sim.faxesReceived} received` : '');
      const printed = (): string => (o.print ? `, ${sim.printers.reduce((n, p) => n + p.printed.length, 0)} jobs printed` : '');
      const report = setInterval(() => process.stdout.write(`${sim.connected} connected, ${sim.answered} requests answered${printed()}${faxes()}\n`), 10_000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(report);
      await sim.stop();
    });
}
