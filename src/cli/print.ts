import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { createReadStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { callRelay, requireRelay } from './client.js';
import type { GlobalOptions } from './context.js';
import { UsageError } from './errors.js';
import { printFields, printJson, printTable } from './output.js';
import { relayAnswer, relayFetch } from './relay-http.js';

interface JobOut {
  jobId: string;
  printerId: string;
  state: string;
  name: string;
  documentSize: number;
  createdAt: string;
  history?: { at: string; state: string; detail: string | null }[];
}

/** The upload as one multipart stream: the ticket, then the file as it is read, so a large file is never held in memory. */
function multipartBody(file: string, ticket: Record<string, unknown>, onBytes: (n: number) => void): { body: ReadableStream; boundary: string } {
  const boundary = `fleetrelay${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  const name = basename(file).replace(/["\r\n]/g, '_');
  async function* parts(): AsyncGenerator<Buffer> {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="ticket"\r\n\r\n${JSON.stringify(ticket)}\r\n`);
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    for await (const chunk of createReadStream(file)) {
      onBytes((chunk as Buffer).length);
      yield chunk as Buffer;
    }
    yield Buffer.from(`\r\n--${boundary}--\r\n`);
  }
  return { body: Readable.toWeb(Readable.from(parts())) as ReadableStream, boundary };
}

export function printCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('print <printer> <file>')
    .description('print a file (PDF, JPEG, PNG, text) on a printer (uses --relay and --token)')
    .option('--copies <n>', 'copies')
    .option('--media <name>', 'PWG media name, e.g. iso_a4_210x297mm, na_letter_8.5x11in')
    .option('--color-mode <mode>', 'color, monochrome or auto')
    .option('--quality <q>', 'draft, normal or high')
    .option('--sides <s>', 'one-sided, two-sided-long-edge or two-sided-short-edge')
    .option('--json', 'print JSON')
    .action(async (printer: string, file: string, o: { copies?: string; media?: string; colorMode?: string; quality?: string; sides?: string; json?: boolean }) => {
      const globals = g();
      const base = requireRelay(globals, 'print talks to a running relay');
      if (!globals.token) throw new UsageError('print needs an API token: give --token T (or FLEETRELAY_TOKEN)');
      const size = statSync(file).size;
      const ticket: Record<string, unknown> = {};
      if (o.copies !== undefined) {
        if (!/^\d{1,9}$/.test(o.copies)) throw new UsageError(`--copies is a whole number, not ${JSON.stringify(o.copies)}`);
        ticket.copies = Number(o.copies); // the relay says which numbers it takes
      }
      if (o.media) ticket.media = o.media;
      if (o.colorMode) ticket['print-color-mode'] = o.colorMode;
      if (o.quality) ticket['print-quality'] = o.quality;
      if (o.sides) ticket.sides = o.sides;
      const bar = process.stderr.isTTY && size > 1_000_000 ? new SingleBar({ format: 'uploading [{bar}] {percentage}% {value}/{total} bytes' }) : null;
      bar?.start(size, 0);
      let sent = 0;
      const { body, boundary } = multipartBody(file, ticket, (n) => bar?.update((sent += n)));
      const res = await relayFetch(new URL(`api/v1/printers/${encodeURIComponent(printer)}/jobs`, base), {
        method: 'POST',
        headers: { authorization: `Bearer ${globals.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
        duplex: 'half',
      } as RequestInit);
      bar?.stop();
      const out = (await relayAnswer(res)) as JobOut;
      o.json ? printJson(out) : process.stdout.write(`job ${out.jobId} ${out.state}: ${out.name}, ${out.documentSize} bytes\n`);
    });

  program
    .command('jobs')
    .description('list print jobs (uses --relay and --token)')
    .option('--printer <id>', 'only this printer')
    .option('--state <state>', 'only this state')
    .option('--json', 'print JSON')
    .action(async (o: { printer?: string; state?: string; json?: boolean }) => {
      const q = new URLSearchParams();
      if (o.printer) q.set('printerId', o.printer);
      if (o.state) q.set('state', o.state);
      const r = (await callRelay(g(), 'GET', `api/v1/jobs?${q}`)) as { items: JobOut[] };
      o.json ? printJson(r) : printTable(r.items as unknown as Record<string, unknown>[], ['jobId', 'printerId', 'state', 'name', 'createdAt']);
    });

  const job = program.command('job').description('one print job (uses --relay and --token)');
  job
    .command('show <jobId>')
    .description('a job and every state it went through')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const j = (await callRelay(g(), 'GET', `api/v1/jobs/${encodeURIComponent(id)}`)) as JobOut;
      if (o.json) return printJson(j);
      const { history, ...rest } = j;
      printFields(rest as unknown as Record<string, unknown>);
      for (const h of history ?? []) process.stdout.write(`  ${h.at}  ${h.state.padEnd(16)} ${h.detail ?? ''}\n`);
    });
  job
    .command('cancel <jobId>')
    .description('cancel a job (seed 002: canceled, or cancel-failed when the printer cannot stop)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const j = (await callRelay(g(), 'POST', `api/v1/jobs/${encodeURIComponent(id)}/cancel`)) as JobOut;
      o.json ? printJson(j) : process.stdout.write(`job ${j.jobId} ${j.state}\n`);
    });
}
