import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { printFields, printJson } from './output.js';

/** Calls a running relay's API with --relay/--token; problem+json errors become readable messages. */
export async function callRelay(g: GlobalOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  if (!g.relay) throw new Error('this command talks to a running relay: give --relay URL (or FLEETRELAY_URL)');
  if (!g.token) throw new Error('this command needs an API token: give --token T (or FLEETRELAY_TOKEN)');
  const res = await fetch(new URL(path, g.relay.replace(/\/?$/, '/')), {
    method,
    headers: { authorization: `Bearer ${g.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  const data: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const p = data as { detail?: string; type?: string } | null;
    throw new Error(`${res.status} ${p?.detail ?? res.statusText}${p?.type ? ` (${p.type})` : ''}`);
  }
  return data;
}

export function clientCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('whoami')
    .description('ask a running relay who --token is (uses --relay and --token)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const me = (await callRelay(g(), 'GET', 'api/v1/me')) as Record<string, unknown>;
      o.json ? printJson(me) : printFields(me);
    });
}
