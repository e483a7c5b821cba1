import type { Command } from 'commander';
import { callRelay } from './client.js';
import type { GlobalOptions } from './context.js';
import { parseAssignment } from './device-client.js';
import { UsageError } from './errors.js';
import { printFields, printJson, printTable } from './output.js';
import { wholeNumber } from './parse.js';

interface Selection {
  tag?: string;
  device?: string[];
  model?: string;
  firmware?: string;
  supplyLow?: boolean;
  account?: string;
  wait?: boolean;
  json?: boolean;
}

interface JobView {
  id: string;
  action: string;
  state: string;
  total: number;
  counts: Record<string, number>;
  results?: { deviceId: string; state: string; detail: string | null }[];
}

const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((t) => t.trim()).filter(Boolean));

function filter(o: Selection): Record<string, unknown> {
  if (!o.tag && !o.device && !o.model && !o.firmware && !o.supplyLow) throw new UsageError('choose the devices: --tag T, --model M, --firmware V, --supply-low or --device ID (repeatable)');
  return { deviceIds: o.device, tag: o.tag, model: o.model, firmware: o.firmware, supplyLow: o.supplyLow, accountId: o.account };
}

const selection = (c: Command): Command =>
  c
    .option('--tag <tag>', 'the devices with this tag')
    .option('--model <model>', 'the devices of this model')
    .option('--firmware <version>', 'the devices that run this firmware version')
    .option('--supply-low', "the devices with a supply at or below their account's mark")
    .option('--device <id>', 'this device (repeat for more)', (v: string, all: string[] = []) => [...all, v])
    .option('--account <id>', "only this account's devices (site admins)")
    .option('--wait', 'wait until every device is done, then show the job')
    .option('--json', 'print JSON');

function show(v: JobView, json?: boolean): void {
  if (json) return printJson(v);
  printFields({ id: v.id, action: v.action, state: v.state, total: v.total, ...v.counts });
  if (v.results?.length) {
    process.stdout.write('\n');
    printTable(v.results, ['deviceId', 'state', 'detail']);
  }
}

/** Bulk actions through the running relay (POST /api/v1/bulk): they push to devices, so they need it. */
export function bulkCommands(program: Command, g: () => GlobalOptions): void {
  const bulk = program.command('bulk').description('the same SET, tag change, firmware assignment or removal on many devices, as one job (uses --relay and --token)');
  const start = async (o: Selection, body: Record<string, unknown>): Promise<void> => {
    let v = (await callRelay(g(), 'POST', 'api/v1/bulk', { ...body, filter: filter(o) })) as JobView;
    for (let i = 0; o.wait && v.state === 'running' && i < 3600; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      v = (await callRelay(g(), 'GET', `api/v1/bulk/${v.id}`)) as JobView;
    }
    show(v, o.json);
  };

  selection(bulk.command('set <assignment...>').description('SET OID=TYPE:VALUE … on every device selected'))
    .option('--queue-offline <seconds>', 'offline devices get the SET at their next contact within this long (else they fail)')
    .action((assignments: string[], o: Selection & { queueOffline?: string }) =>
      start(o, {
        action: 'set',
        objects: assignments.map(parseAssignment),
        ...(o.queueOffline === undefined ? {} : { queueOfflineSeconds: wholeNumber('--queue-offline', o.queueOffline, 1, 7 * 86400) }),
      }),
    );
  selection(bulk.command('tags').description('add and remove tags on every device selected'))
    .option('--add <a,b,…>', 'tags to add')
    .option('--remove <a,b,…>', 'tags to remove')
    .action((o: Selection & { add?: string; remove?: string }) => start(o, { action: 'tags', add: list(o.add), remove: list(o.remove) }));
  selection(bulk.command('firmware <version>').description("assign a firmware version (of each device's model) to every device selected: its next update check is offered it; 'none' takes the assignment back")).action(
    (version: string, o: Selection) => start(o, { action: 'firmware', version: version === 'none' ? null : version }),
  );
  selection(bulk.command('remove').description('remove every device selected (their tokens stop working)')).action((o: Selection) => start(o, { action: 'remove' }));

  bulk
    .command('show <id>')
    .description('a job, how far it is, and its results')
    .option('--failed', 'only the devices that failed')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { failed?: boolean; json?: boolean }) => show((await callRelay(g(), 'GET', `api/v1/bulk/${encodeURIComponent(id)}${o.failed ? '?state=failed' : ''}`)) as JobView, o.json));
  bulk
    .command('retry <id>')
    .description('run the devices that failed again')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => show((await callRelay(g(), 'POST', `api/v1/bulk/${encodeURIComponent(id)}/retry`)) as JobView, o.json));
  bulk
    .command('list')
    .description('bulk jobs, newest first')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = (await callRelay(g(), 'GET', 'api/v1/bulk')) as { items: Record<string, unknown>[] };
      o.json ? printJson(r) : printTable(r.items, ['id', 'action', 'state', 'createdBy', 'createdAt']);
    });
}
