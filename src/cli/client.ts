import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { UsageError } from './errors.js';
import { printFields, printJson } from './output.js';
import { relayAnswer, relayBase, relayFetch } from './relay-http.js';

/** The --relay a client command talks to. */
export function requireRelay(g: GlobalOptions, why = 'this command talks to a running relay'): URL {
  if (!g.relay) throw new UsageError(`${why}: give --relay URL (or FLEETRELAY_URL)`);
  return relayBase(g.relay);
}

/** Calls a running relay's API with --relay/--token; problem+json errors become readable messages. */
export async function callRelay(g: GlobalOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = requireRelay(g);
  if (!g.token) throw new UsageError('this command needs an API token: give --token T (or FLEETRELAY_TOKEN)');
  const res = await relayFetch(new URL(path, base), {
    method,
    headers: { authorization: `Bearer ${g.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  return relayAnswer(res);
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
