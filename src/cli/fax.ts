import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaults } from '../config.js';
import { FaxConnection, type FaxEndpoint } from '../device/sdk/fax-client.js';
import { sendDocument } from '../device/sdk/fax-document.js';
import { FaxMachine } from '../device/sdk/fax-machine.js';
import type { PublicFaxUser } from '../services/fax/users.js';
import { CLI, withServices, type GlobalOptions } from './context.js';
import { UsageError } from './errors.js';
import { printJson, printTable } from './output.js';
import { wholeNumber } from './parse.js';
import { readPassword } from './prompt.js';

type Globals = () => GlobalOptions;

interface LineOptions {
  relayHost: string;
  relayPort?: string;
  user: string;
  password?: string;
  tls?: boolean;
  ca?: string;
  json?: boolean;
}

const view = (u: PublicFaxUser) => ({ id: u.id, accountId: u.accountId, displayName: u.settings.displayName ?? null, maxConnections: u.settings.maxConnections ?? null, createdAt: new Date(u.createdAt).toISOString() });

/** The relay's fax listener from HOST[:PORT] (port: an explicit one, the one in the text, FLEETRELAY_FAX_PORT or 4590). */
export function faxEndpoint(hostPort: string, port?: string): { host: string; port: number } {
  const m = /^(.*?)(?::(\d+))?$/.exec(hostPort)!;
  const n = Number(port ?? m[2] ?? process.env.FLEETRELAY_FAX_PORT ?? defaults.faxPort);
  if (!m[1] || !Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`the fax relay is HOST or HOST:PORT, not ${hostPort}`);
  return { host: m[1], port: n };
}

function endpoint(o: LineOptions): FaxEndpoint {
  return { ...faxEndpoint(o.relayHost, o.relayPort), tls: o.tls || o.ca ? { ca: o.ca ? readFileSync(o.ca) : undefined } : undefined };
}

async function password(o: LineOptions): Promise<string> {
  return o.password ?? process.env.FLEETRELAY_FAX_PASSWORD ?? (await readPassword(`Fax password for ${o.user}: `));
}

const lineOptions = (c: Command): Command =>
  c
    .requiredOption('--relay-host <host[:port]>', `the relay's fax listener (port default ${defaults.faxPort})`)
    .option('--relay-port <port>', 'fax listener port')
    .requiredOption('--user <id>', 'fax user ID')
    .option('--password <pw>', 'password (env FLEETRELAY_FAX_PASSWORD; prompted when neither is given)')
    .option('--tls', 'connect with TLS')
    .option('--ca <file>', 'trust this CA certificate (PEM) for TLS; implies --tls')
    .option('--json', 'print JSON');

export function faxCommands(program: Command, g: Globals): void {
  const fax = program.command('fax').description('fax relay: fax users (on --data-dir) and a fax machine’s side (listen, send)');
  const user = fax.command('user').description('manage fax users (works on --data-dir; a running relay sees the change at once)');
  user
    .command('add <user>')
    .description('add a fax user; prompts for the password when --password is not given')
    .option('--password <pw>', 'password (at least 8 characters)')
    .option('--account <id>', 'account the fax machine belongs to', 'default')
    .option('--display-name <name>', 'shown to operators')
    .option('--max-connections <n>', 'connections it may hold at once (default 8)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { password?: string; account: string; displayName?: string; maxConnections?: string; json?: boolean }) => {
      const pw = o.password ?? (await readPassword(`Fax password for ${id}: `));
      const settings = { displayName: o.displayName, maxConnections: o.maxConnections === undefined ? undefined : wholeNumber('--max-connections', o.maxConnections, 1, Number.MAX_SAFE_INTEGER) };
      const u = await withServices(g(), (s) => s.faxUsers.add(CLI, { id, password: pw, accountId: o.account, settings: JSON.parse(JSON.stringify(settings)) }));
      o.json ? printJson(view(u)) : process.stdout.write(`fax user ${u.id} added to account ${u.accountId}\n`);
    });
  user
    .command('list')
    .description('list fax users')
    .option('--account <id>', 'only this account')
    .option('--json', 'print JSON')
    .action(async (o: { account?: string; json?: boolean }) => {
      const items = (await withServices(g(), (s) => s.faxUsers.list(CLI, { accountId: o.account, limit: 500 }))).map(view);
      o.json ? printJson(items) : printTable(items, ['id', 'accountId', 'displayName', 'createdAt']);
    });
  user
    .command('remove <user>')
    .description('remove a fax user; it cannot log in again, and a running relay logs it out within 30 s')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const u = await withServices(g(), (s) => s.faxUsers.remove(CLI, id));
      o.json ? printJson(view(u)) : process.stdout.write(`fax user ${u.id} removed\n`);
    });

  lineOptions(fax.command('listen').description('be a fax machine: stay logged in with a spare connection, accept calls, save documents'))
    .option('--dir <folder>', 'where received documents are saved', '.')
    .action(async (o: LineOptions & { dir: string }) => {
      const inbox = resolve(o.dir);
      mkdirSync(inbox, { recursive: true });
      const machine = new FaxMachine({ endpoint: endpoint(o), user: o.user, password: await password(o), inbox });
      const say = (msg: string, fields: Record<string, unknown>): void => {
        process.stdout.write(o.json ? JSON.stringify({ event: msg, ...fields }) + '\n' : `${msg}: ${Object.values(fields).join(' ')}\n`);
      };
      machine.on('document', (d) => say('received', { from: d.from, path: d.path, size: d.size, sha256: d.sha256 }));
      machine.on('call', (c) => say('call', { from: c.from, accepted: c.accepted }));
      machine.on('problem', (e) => process.stderr.write(`fleetrelay: ${e.message}; retrying\n`));
      await machine.start();
      say('listening', { user: o.user, inbox });
      await new Promise<void>((done) => {
        const stop = (): void => void machine.stop().then(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  lineOptions(fax.command('send <file>').description('send a PDF or TIFF document to another fax user'))
    .requiredOption('--to <user>', 'fax user ID to call')
    .action(async (file: string, o: LineOptions & { to: string }) => {
      const conn = await FaxConnection.open(endpoint(o), o.user, await password(o));
      try {
        const { peer } = await conn.call(o.to);
        const bar = process.stderr.isTTY && !o.json ? new SingleBar({ format: `sending to ${peer} [{bar}] {percentage}% {value}/{total} bytes` }) : null;
        let started = false;
        const r = await sendDocument(conn, file, {
          onProgress(sent, total) {
            if (!started) bar?.start(total, 0);
            started = true;
            bar?.update(sent);
          },
        }).finally(() => bar?.stop());
        conn.terminate();
        conn.release();
        o.json ? printJson({ to: peer, file, ...r }) : process.stdout.write(`sent ${file} to ${peer}: ${r.size} bytes, confirmed (sha256 ${r.sha256})\n`);
      } finally {
        conn.end();
      }
    });
}
