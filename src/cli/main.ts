#!/usr/bin/env node
import { Command, Option } from 'commander';
import { VERSION, defaults } from '../config.js';
import { accountCommands, deviceCommands, tokenCommands, userCommands } from './admin.js';
import { clientCommands } from './client.js';
import type { GlobalOptions } from './context.js';
import { dataCommands } from './data.js';
import { exitCodeFor } from './errors.js';
import { serveCommand } from './serve.js';
import { printCommands } from './print.js';
import { faxCommands } from './fax.js';
import { billingCommands, codeCommands, firmwareCommands } from './management.js';
import { deviceReportCommand, pushCommands, simulateCommand } from './device-client.js';
import { bulkCommands } from './bulk.js';
import { operationsCommands } from './operations.js';

// A reader that stops early (`| head`) is not a failure worth a stack trace.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });

// No defaults from the environment here: help prints defaults, and FLEETRELAY_TOKEN is a secret.
const GLOBAL_OPTIONS = [
  ['--data-dir <dir>', `data directory (env FLEETRELAY_DATA, default ${defaults.dataDir})`],
  ['--database-url <url>', 'PostgreSQL instead of SQLite in the data directory, e.g. postgres://user@host:5432/fleetrelay (env FLEETRELAY_DATABASE_URL)'],
  ['--relay <url>', 'URL of a running relay, for client commands (env FLEETRELAY_URL)'],
  ['--token <token>', 'API token, for client commands (env FLEETRELAY_TOKEN)'],
] as const;

const program = new Command('fleetrelay')
  .version(VERSION)
  .description('FleetRelay: the cloud relay for printers, MFPs and fax machines behind NAT')
  .addHelpText(
    'after',
    `
Administrative commands (init, serve, account, user, token, device add|list|show|update|remove|rotate-token,
billing, meter, code, firmware, fax user, backup, restore) work on the data directory (--data-dir); only init,
serve and restore create one. Client commands (whoami, get, set, print, jobs, job, device simulate, device report)
talk to a running relay with --relay and --token; fax listen and fax send talk to its fax port as a fax machine.
Global options go before or after the command. Exit codes: 0 done, 1 failed, 2 invalid input.`,
  )
  .showHelpAfterError()
  .configureHelp({ showGlobalOptions: true })
  // Each command parses its own options, so one may have its own --version (firmware upload);
  // the global options are added to every command below, so they work after it too.
  .enablePositionalOptions()
  .exitOverride();
for (const [flags, description] of GLOBAL_OPTIONS) program.option(flags, description);

let running: Command = program;
program.hook('preAction', (_program, command) => {
  running = command;
});

const globals = (): GlobalOptions => {
  const given = { ...program.opts<Partial<GlobalOptions>>(), ...definedOnly(running.opts<Partial<GlobalOptions>>()) };
  return {
    dataDir: given.dataDir || process.env.FLEETRELAY_DATA || defaults.dataDir,
    databaseUrl: given.databaseUrl || process.env.FLEETRELAY_DATABASE_URL || undefined,
    relay: given.relay || process.env.FLEETRELAY_URL || undefined,
    token: given.token || process.env.FLEETRELAY_TOKEN || undefined,
  };
};

function definedOnly(o: Partial<GlobalOptions>): Partial<GlobalOptions> {
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => v !== undefined && ['dataDir', 'databaseUrl', 'relay', 'token'].includes(k)));
}

/** The global options on every command that runs an action, hidden from its help (shown once, as global options). */
function acceptGlobalsAfter(command: Command): void {
  for (const sub of command.commands) {
    for (const [flags] of GLOBAL_OPTIONS) {
      const long = flags.split(' ')[0]!;
      if (!sub.options.some((o) => o.long === long)) sub.addOption(new Option(flags).hideHelp());
    }
    acceptGlobalsAfter(sub);
  }
}

serveCommand(program, globals);
accountCommands(program, globals);
userCommands(program, globals);
tokenCommands(program, globals);
const deviceCommand = deviceCommands(program, globals);
simulateCommand(deviceCommand, globals);
deviceReportCommand(deviceCommand, globals);
dataCommands(program, globals);
clientCommands(program, globals);
pushCommands(program, globals);
bulkCommands(program, globals);
operationsCommands(program, globals);
billingCommands(program, globals);
codeCommands(program, globals);
firmwareCommands(program, globals);
printCommands(program, globals);
faxCommands(program, globals);
acceptGlobalsAfter(program);

try {
  await program.parseAsync();
} catch (err) {
  const code = exitCodeFor(err);
  // Commander has already said what was wrong (and shown the help).
  if (!(err instanceof Error && 'code' in err && String(err.code).startsWith('commander.'))) {
    process.stderr.write(`fleetrelay: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.FLEETRELAY_DEBUG) console.error(err);
  }
  process.exitCode = code;
}
