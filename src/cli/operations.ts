import type { Command } from 'commander';
import { callRelay } from './client.js';
import type { GlobalOptions } from './context.js';
import { printFields, printJson, printTable } from './output.js';

type Items = { items: Record<string, unknown>[] };

/** What an operator does in the console's alert, printer and webhook pages, from a shell (through the running relay). */
export function operationsCommands(program: Command, g: () => GlobalOptions): void {
  program
    .command('alerts')
    .description('alerts, newest first: open ones unless --state says otherwise (uses --relay and --token)')
    .option('--state <state>', 'open, acknowledged or resolved', 'open')
    .option('--device <id>', 'only this device')
    .option('--json', 'print JSON')
    .action(async (o: { state: string; device?: string; json?: boolean }) => {
      const q = new URLSearchParams({ state: o.state });
      if (o.device) q.set('deviceId', o.device);
      const r = (await callRelay(g(), 'GET', `api/v1/alerts?${q}`)) as Items;
      o.json ? printJson(r) : printTable(r.items, ['id', 'state', 'type', 'description', 'model', 'serial', 'installationPlace', 'updatedAt']);
    });
  const alert = program.command('alert').description('act on one alert (uses --relay and --token)');
  for (const action of ['acknowledge', 'resolve'] as const)
    alert
      .command(`${action} <id...>`)
      .description(`${action} alerts`)
      .option('--json', 'print JSON')
      .action(async (ids: string[], o: { json?: boolean }) => {
        const done = [];
        for (const id of ids) done.push((await callRelay(g(), 'POST', `api/v1/alerts/${encodeURIComponent(id)}/${action}`)) as Record<string, unknown>);
        o.json ? printJson({ items: done }) : printTable(done, ['id', 'state', 'description']);
      });

  program
    .command('printers')
    .description("printers: whether each accepts jobs, its status, and whether it is online (uses --relay and --token)")
    .option('--account <id>', 'only this account (site admins)')
    .option('--json', 'print JSON')
    .action(async (o: { account?: string; json?: boolean }) => {
      const r = (await callRelay(g(), 'GET', `api/v1/printers${o.account ? `?accountId=${encodeURIComponent(o.account)}` : ''}`)) as Items;
      o.json ? printJson(r) : printTable(r.items, ['printerId', 'model', 'serial', 'acceptingJobs', 'status', 'online']);
    });

  program
    .command('webhooks')
    .description('webhooks for alert.opened and order.received (uses --relay and --token)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = (await callRelay(g(), 'GET', 'api/v1/webhooks')) as Items;
      o.json ? printJson(r) : printTable(r.items.map((h) => ({ ...h, events: (h.events as string[]).join(',') })), ['id', 'accountId', 'url', 'events', 'createdAt']);
    });
  const webhook = program.command('webhook').description('add or remove a webhook (uses --relay and --token)');
  webhook
    .command('add <url>')
    .description('add a webhook; its signing secret is shown this once')
    .requiredOption('--events <a,b>', 'alert.opened, order.received')
    .option('--account <id>', 'for this account (site admins)')
    .option('--json', 'print JSON')
    .action(async (url: string, o: { events: string; account?: string; json?: boolean }) => {
      const body = { url, events: o.events.split(',').map((e) => e.trim()).filter(Boolean), ...(o.account ? { accountId: o.account } : {}) };
      const r = (await callRelay(g(), 'POST', 'api/v1/webhooks', body)) as Record<string, unknown>;
      o.json ? printJson(r) : printFields(r);
    });
  webhook
    .command('remove <id>')
    .description('remove a webhook')
    .action(async (id: string) => {
      await callRelay(g(), 'DELETE', `api/v1/webhooks/${encodeURIComponent(id)}`);
      process.stdout.write(`webhook ${id} removed\n`);
    });
}
