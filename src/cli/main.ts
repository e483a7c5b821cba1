#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION, defaults } from '../config.js';
import { ServiceError } from '../services/kernel/errors.js';
import { accountCommands, deviceCommands, tokenCommands, userCommands } from './admin.js';
import { clientCommands } from './client.js';
import type { GlobalOptions } from './context.js';
import { dataCommands } from './data.js';
import { serveCommand } from './serve.js';
import { printCommands } from './print.js';
import { faxCommands } from './fax.js';
import { billingCommands, codeCommands, firmwareCommands } from './management.js';
import { deviceReportCommand, pushCommands, simulateCommand } from './device-client.js';

const program = new Command('fleetrelay')
  .version(VERSION)
  .description('FleetRelay: the cloud relay for printers, MFPs and fax machines behind NAT')
  .option('--data-dir <dir>', 'data directory (env FLEETRELAY_DATA)', process.env.FLEETRELAY_DATA ?? defaults.dataDir)
  .option('--relay <url>', 'URL of a running relay, for client commands (env FLEETRELAY_URL)', process.env.FLEETRELAY_URL)
  .option('--token <token>', 'API token, for client commands (env FLEETRELAY_TOKEN)', process.env.FLEETRELAY_TOKEN)
  .addHelpText(
    'after',
    `
Administrative commands (serve, account, user, token, device add|list|show|update|remove|rotate-token,
billing, meter, code, firmware, fax user, backup, restore) work on the data directory (--data-dir). Client commands (whoami, get, set,
print, jobs, job, device simulate, device report) talk to a running relay with --relay and --token; fax listen and
fax send talk to its fax port as a fax machine.`,
  )
  .showHelpAfterError()
  // Global options go before the command, so a command may have its own --version (firmware upload).
  .enablePositionalOptions()
  .exitOverride();

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

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
billingCommands(program, globals);
codeCommands(program, globals);
firmwareCommands(program, globals);
printCommands(program, globals);
faxCommands(program, globals);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`fleetrelay: ${err instanceof Error ? err.message : String(err)}\n`);
  if (process.env.FLEETRELAY_DEBUG) console.error(err);
  process.exitCode = err instanceof ServiceError && err.problem === 'validation-failed' ? 2 : 1;
}
