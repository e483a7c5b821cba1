import type { Command } from 'commander';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { CLI, withServices, type GlobalOptions } from './context.js';
import { UsageError } from './errors.js';
import { printJson, printTable } from './output.js';
import { wholeNumber } from './parse.js';

const count = (name: string, v: string): number => {
  if (!/^\d{1,16}$/.test(v)) throw new UsageError(`${name} is a whole number of sheets`);
  return Number(v);
};

export function billingCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('billing')
    .description('billing from meter reads (works on --data-dir)')
    .command('export')
    .description('CSV per device for [from, to): start, end, delta of total, mono and colour counters')
    .requiredOption('--from <date>', 'first day (YYYY-MM-DD, midnight in --time-zone) or an ISO time')
    .requiredOption('--to <date>', 'day after the last (exclusive)')
    .option('--account <id>', 'only this account')
    .option('--time-zone <zone>', 'IANA time zone of the dates (env FLEETRELAY_TIME_ZONE, default UTC)')
    .option('--output <file>', 'write to a file instead of standard output')
    .action(async (o: { from: string; to: string; account?: string; timeZone?: string; output?: string }) => {
      await withServices({ ...g(), timeZone: o.timeZone }, async (s) => {
        const lines = s.billing.csv(CLI, o.from, o.to, o.account);
        const first = await lines.next(); // a bad period fails before a file is made
        const out = o.output ? createWriteStream(o.output, { mode: 0o600 }) : process.stdout;
        const write = (line: string): Promise<void> => new Promise((r) => (out.write(line) ? r() : out.once('drain', r)));
        await write(first.value as string);
        for await (const line of lines) await write(line);
        if (o.output) await new Promise<void>((r) => (out as NodeJS.WritableStream).end(r));
      });
    });

  program
    .command('meter')
    .description('meter reads (works on --data-dir)')
    .command('offset <deviceId>')
    .description('record a counter reset (board swap): from --at (default now) on, these are added to the device\'s reads')
    .requiredOption('--total <n>', 'total counter before the reset')
    .requiredOption('--mono <n>', 'monochrome counter before the reset')
    .requiredOption('--colour <n>', 'colour counter before the reset')
    .option('--at <time>', 'when the reset happened (YYYY-MM-DD or ISO time)')
    .option('--json', 'print JSON')
    .action(async (deviceId: string, o: { total: string; mono: string; colour: string; at?: string; json?: boolean }) => {
      const offset = { total: count('--total', o.total), mono: count('--mono', o.mono), colour: count('--colour', o.colour), at: o.at };
      await withServices(g(), (s) => s.billing.addOffset(CLI, deviceId, offset));
      o.json ? printJson({ deviceId, ...offset }) : process.stdout.write(`offset recorded for ${deviceId}\n`);
    });
}

export function codeCommands(program: Command, g: () => GlobalOptions): void {
  const code = program.command('code').description('code tables reports are read with: error numbers, order codes, MIB alert codes (works on --data-dir)');
  code
    .command('list [namespace]')
    .description('list codes')
    .option('--json', 'print JSON')
    .action(async (namespace: string | undefined, o: { json?: boolean }) => {
      const items = await withServices(g(), (s) => s.codes.list(namespace));
      o.json ? printJson(items) : printTable(items as unknown as Record<string, unknown>[], ['namespace', 'code', 'kind', 'description', 'reply']);
    });
  code
    .command('set <namespace> <code>')
    .description('add or change a code, e.g. code set error 342 --kind consumable-low --description "waste toner nearly full"')
    .requiredOption('--description <text>', 'what it means (shown to operators)')
    .option('--reply <text>', 'what the device panel shows (default: the description)')
    .option('--kind <kind>', 'for error codes: consumable-low, part-replacement or abnormal')
    .option('--json', 'print JSON')
    .action(async (namespace: string, c: string, o: { description: string; reply?: string; kind?: string; json?: boolean }) => {
      const saved = await withServices(g(), (s) => s.codes.put(CLI, { namespace, code: c, kind: o.kind, description: o.description, reply: o.reply }));
      o.json ? printJson(saved) : process.stdout.write(`${namespace}:${c} saved\n`);
    });
  code
    .command('remove <namespace> <code>')
    .description('remove a code')
    .action(async (namespace: string, c: string) => {
      await withServices(g(), (s) => s.codes.remove(CLI, namespace, c));
      process.stdout.write(`${namespace}:${c} removed\n`);
    });
}

/** A value given inline or as @file / a path to a file that exists. */
function inlineOrFile(v: string): string {
  const path = v.startsWith('@') ? v.slice(1) : v;
  return existsSync(path) ? readFileSync(path, 'utf8') : v;
}

export function firmwareCommands(program: Command, g: () => GlobalOptions): void {
  const fw = program.command('firmware').description('firmware for devices (seed 004), site admin (works on --data-dir)');
  fw.command('key')
    .description("the vendor's Ed25519 public key")
    .command('set <key>')
    .description('register it: PEM, base64 of the 32 raw bytes, or a file holding either')
    .action(async (key: string) => {
      await withServices(g(), (s) => s.firmware.setVendorKey(CLI, inlineOrFile(key)));
      process.stdout.write('vendor key registered; devices provisioned from now on receive it\n');
    });
  fw.command('upload <file>')
    .description('upload a program signed offline with the vendor key; verified before it is kept')
    .requiredOption('--model <model>', 'device model it is for')
    .requiredOption('--version <version>', 'its version, e.g. 1.2.3')
    .requiredOption('--signature <sig>', 'base64 Ed25519 signature, or a file holding it')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { model: string; version: string; signature: string; json?: boolean }) => {
      const f = await withServices(g(), (s) =>
        s.firmware.upload(CLI, { model: o.model, version: o.version, signature: inlineOrFile(o.signature).trim(), program: readFileSync(file) }),
      );
      o.json ? printJson(f) : process.stdout.write(`${f.model} ${f.version} uploaded (${f.size} bytes, sha256 ${f.sha256}); rolled out to 0 % — use firmware rollout\n`);
    });
  fw.command('rollout')
    .description("offer a program to a percentage of the model's devices")
    .requiredOption('--model <model>', 'device model')
    .requiredOption('--version <version>', 'program version')
    .requiredOption('--percent <p>', '0 to 100')
    .action(async (o: { model: string; version: string; percent: string }) => {
      const f = await withServices(g(), (s) => s.firmware.rollout(CLI, o.model, o.version, wholeNumber('--percent', o.percent, 0, 100)));
      process.stdout.write(`${f.model} ${f.version} offered to ${f.rolloutPercent} % of its devices\n`);
    });
  fw.command('list')
    .description('uploaded programs')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = await withServices(g(), (s) => s.firmware.list());
      o.json ? printJson(items) : printTable(items as unknown as Record<string, unknown>[], ['model', 'version', 'size', 'rolloutPercent', 'sha256']);
    });
}
