import type { Command } from 'commander';
import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { defaults } from '../config.js';
import { inspectStore } from '../stores.js';
import { NatsBus } from '../bus/nats.js';
import type { GlobalOptions } from './context.js';
import { printJson } from './output.js';
import { wholeNumber } from './parse.js';

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** Why host:port cannot be listened on ('in use', or the error), or null when it is free. */
function portTaken(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'in use' : err.message));
    server.listen(port, host, () => server.close(() => resolve(null)));
  });
}

async function storeChecks(g: GlobalOptions): Promise<Check[]> {
  try {
    const s = await inspectStore(g);
    const reach: Check = { check: 'store', ok: true, detail: `${s.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'} at ${s.where} is reachable` };
    const schema: Check =
      s.version === 0
        ? { check: 'schema', ok: false, detail: `no FleetRelay schema yet: run "fleetrelay migrate" (or "fleetrelay init")` }
        : s.version < s.supported
          ? { check: 'schema', ok: true, detail: `version ${s.version}; this FleetRelay migrates it to ${s.supported} at start (or run "fleetrelay migrate")` }
          : s.version > s.supported
            ? { check: 'schema', ok: false, detail: `version ${s.version} is newer than this FleetRelay knows (${s.supported}): run a newer FleetRelay` }
            : { check: 'schema', ok: true, detail: `version ${s.version}, the newest this FleetRelay knows` };
    return [reach, schema];
  } catch (err) {
    return [{ check: 'store', ok: false, detail: `cannot open the store: ${(err as Error).message}` }];
  }
}

function dataDirCheck(dir: string): Check {
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) return { check: 'data-dir', ok: false, detail: `${dir} is not a directory` };
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    if (st.mode & 0o077) return { check: 'data-dir', ok: false, detail: `${dir} is mode ${mode}: others may read its keys and spools; chmod 700 it` };
    return { check: 'data-dir', ok: true, detail: `${dir} is writable and owner-only (${mode})` };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { check: 'data-dir', ok: false, detail: `${dir} does not exist: "fleetrelay init" or serve makes it` };
    return { check: 'data-dir', ok: false, detail: `${dir}: ${code === 'EACCES' ? 'not readable and writable by this user' : (err as Error).message}` };
  }
}

/** `fleetrelay doctor`: what an operator checks before (or instead of) starting a relay. Exit 1 if any check fails. */
export function doctorCommand(program: Command, g: () => GlobalOptions): void {
  program
    .command('doctor')
    .description('check the store (reachable, schema version), the data directory\'s permissions, that the relay\'s ports are free, and the cluster\'s NATS')
    .option('--host <address>', 'address the relay listens on', '0.0.0.0')
    .option('--port <port>', `HTTP port (env PORT, default ${defaults.port})`)
    .option('--smtp-port <port>', 'print-by-mail port (env FLEETRELAY_SMTP_PORT)', process.env.FLEETRELAY_SMTP_PORT ?? '2525')
    .option('--fax-port <port>', 'fax relay port (env FLEETRELAY_FAX_PORT)', process.env.FLEETRELAY_FAX_PORT ?? String(defaults.faxPort))
    .option('--nats-url <url>', 'the cluster\'s NATS server: reachable, with JetStream (env FLEETRELAY_NATS_URL)', process.env.FLEETRELAY_NATS_URL)
    .option('--json', 'print JSON')
    .action(async (o: { host: string; port?: string; smtpPort: string; faxPort: string; natsUrl?: string; json?: boolean }) => {
      const ports: [string, number][] = [
        ['http', wholeNumber('--port', o.port ?? process.env.PORT ?? String(defaults.port), 0, 65535)],
        ['smtp', wholeNumber('--smtp-port', o.smtpPort, 0, 65535)],
        ['fax', wholeNumber('--fax-port', o.faxPort, 0, 65535)],
      ];
      const checks = [...(await storeChecks(g())), dataDirCheck(g().dataDir)];
      if (o.natsUrl)
        checks.push(
          await NatsBus.probe(o.natsUrl).then(
            (detail) => ({ check: 'nats', ok: true, detail }),
            (err: Error) => ({ check: 'nats', ok: false, detail: err.message }),
          ),
        );
      for (const [name, port] of ports) {
        if (port === 0) continue;
        const busy = await portTaken(o.host, port);
        checks.push({ check: `port-${name}`, ok: busy === null, detail: busy === null ? `${o.host}:${port} is free` : `${o.host}:${port} is ${busy}` });
      }
      const ok = checks.every((c) => c.ok);
      if (o.json) printJson({ ok, checks });
      else for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(10)} ${c.detail}\n`);
      if (!ok) process.exitCode = 1;
    });
}
