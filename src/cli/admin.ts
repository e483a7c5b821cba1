import type { Command } from 'commander';
import { EMPTY_STATUS } from '../domain/status.js';
import { MAX_STATUS_POLL_SECONDS, MIN_STATUS_POLL_SECONDS } from '../domain/accounts.js';
import { accountView, deviceView, statusView, tokenView, userView } from '../http/views.js';
import { CLI, withServices, type GlobalOptions } from './context.js';
import { printFields, printJson, printTable } from './output.js';
import { parseDuration, parseJsonOption, wholeNumber } from './parse.js';
import { readPassword } from './prompt.js';

type Globals = () => GlobalOptions;

const DATA_DIR_NOTE = '(works on --data-dir; a running relay sees the change at once)';

export function accountCommands(program: Command, g: Globals): void {
  const account = program.command('account').description(`manage accounts ${DATA_DIR_NOTE}`);
  account
    .command('add <id>')
    .description('add an account (id: lowercase letters, digits, hyphens)')
    .option('--name <name>', 'display name')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { name?: string; json?: boolean }) => {
      const a = await withServices(g(), (s) => s.accounts.addAccount(CLI, id, o.name));
      o.json ? printJson(accountView(a)) : process.stdout.write(`account ${a.id} added\n`);
    });
  account
    .command('list')
    .description('list accounts')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = (await withServices(g(), (s) => s.accounts.listAccounts(CLI))).map(accountView);
      o.json ? printJson(items) : printTable(items, ['id', 'name', 'statusPollSeconds', 'supplyLowPercent', 'createdAt']);
    });
  account
    .command('set <id>')
    .description("change an account's name, status poll interval or supply-low mark")
    .option('--name <name>', 'display name')
    .option('--status-poll <seconds>', `poll its devices' status this often (${MIN_STATUS_POLL_SECONDS} or more), 0 never, "default" the relay's --status-poll`)
    .option('--supply-low <percent>', 'a supply at or below this percent is low (1–99; default 10)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { name?: string; statusPoll?: string; supplyLow?: string; json?: boolean }) => {
      const statusPollSeconds = o.statusPoll === undefined ? undefined : o.statusPoll === 'default' ? null : wholeNumber('--status-poll', o.statusPoll, 0, MAX_STATUS_POLL_SECONDS);
      const supplyLowPercent = o.supplyLow === undefined ? undefined : wholeNumber('--supply-low', o.supplyLow, 1, 99);
      const a = await withServices(g(), (s) => s.accounts.updateAccount(CLI, id, { name: o.name, statusPollSeconds, supplyLowPercent }));
      o.json ? printJson(accountView(a)) : process.stdout.write(`account ${a.id}: status poll ${a.statusPollSeconds === null ? "the relay's" : a.statusPollSeconds === 0 ? 'never' : `every ${a.statusPollSeconds} s`}, supplies low at ${a.supplyLowPercent} %\n`);
    });
}

export function userCommands(program: Command, g: Globals): void {
  const user = program.command('user').description(`manage people who sign in to the web pages ${DATA_DIR_NOTE}`);
  user
    .command('add <name>')
    .description('add a person; prompts for the password when --password is not given')
    .option('--password <pw>', 'password (at least 8 characters)')
    .option('--account <id>', 'account the person operates', 'default')
    .option('--admin', 'site admin: every account, firmware, everything')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { password?: string; account: string; admin?: boolean; json?: boolean }) => {
      const password = o.password ?? (await readPassword(`Password for ${name}: `));
      const u = await withServices(g(), (s) => s.accounts.addUser(CLI, { name, password, accountId: o.account, admin: o.admin }));
      o.json ? printJson(userView(u)) : process.stdout.write(`user ${u.name} added to account ${u.accountId}${u.admin ? ' as site admin' : ''}\n`);
    });
  user
    .command('list')
    .description('list people')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = (await withServices(g(), (s) => s.accounts.listUsers(CLI))).map(userView);
      o.json ? printJson(items) : printTable(items, ['name', 'accountId', 'admin', 'createdAt']);
    });
}

export function tokenCommands(program: Command, g: Globals): void {
  const token = program.command('token').description(`manage API bearer tokens ${DATA_DIR_NOTE}`);
  token
    .command('create')
    .description('create a token for an account (default: default) or a site-wide admin token; the secret is printed once')
    .option('--account <id>', 'account the token acts for')
    .option('--admin', 'site-wide admin token (no account)')
    .option('--label <text>', 'what the token is for')
    .option('--expires-in <duration>', 'expiry, e.g. 3600, 30m, 12h, 90d')
    .option('--json', 'print {"id", "token"} as JSON')
    .action(async (o: { account?: string; admin?: boolean; label?: string; expiresIn?: string; json?: boolean }) => {
      const expiresInSeconds = o.expiresIn === undefined ? undefined : parseDuration(o.expiresIn);
      const { token: secret, info } = await withServices(g(), (s) =>
        s.accounts.createToken(CLI, { accountId: o.account, admin: o.admin, label: o.label, expiresInSeconds }),
      );
      if (o.json) return printJson({ ...tokenView(info), token: secret });
      process.stdout.write(`token ${info.id} created (${info.admin ? 'site admin' : `account ${info.accountId}`}); it is shown only now:\n${secret}\n`);
    });
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = (await withServices(g(), (s) => s.accounts.listTokens(CLI))).map(tokenView);
      o.json ? printJson(items) : printTable(items, ['id', 'accountId', 'admin', 'label', 'expiresAt', 'revokedAt', 'lastUsedAt']);
    });
  token
    .command('revoke <id>')
    .description('revoke a token; it stops working at once, also on a running relay')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withServices(g(), (s) => s.accounts.revokeToken(CLI, id));
      o.json ? printJson({ id, revoked: true }) : process.stdout.write(`token ${id} revoked\n`);
    });
}

export function deviceCommands(program: Command, g: Globals): Command {
  const device = program.command('device').description(`manage the device registry ${DATA_DIR_NOTE}`);
  device
    .command('add')
    .description('pre-provision a device and its token (factory/dealer path)')
    .requiredOption('--serial <serial>', 'serial number')
    .requiredOption('--model <model>', 'model name')
    .option('--account <id>', 'account the device belongs to', 'default')
    .option('--capabilities <json>', 'capability information as a JSON object')
    .option('--json', 'print {"deviceId", "jid", "token"} as JSON')
    .action(async (o: { serial: string; model: string; account: string; capabilities?: string; json?: boolean }) => {
      const capabilities = o.capabilities === undefined ? undefined : parseJsonOption('--capabilities', o.capabilities);
      const { credentials } = await withServices(g(), (s) =>
        s.devices.provision(CLI, { serial: o.serial, model: o.model, accountId: o.account, capabilities }),
      );
      if (o.json) return printJson(credentials);
      printFields({ ...credentials });
      process.stderr.write('The token is shown only now; configure it on the device.\n');
    });
  device
    .command('list')
    .description('list devices')
    .option('--account <id>', 'only this account')
    .option('--serial <serial>', 'only this serial number')
    .option('--model <model>', 'only this model')
    .option('--tag <tag>', 'only devices with this tag')
    .option('--online', 'only online devices')
    .option('--offline', 'only offline devices')
    .option('--limit <n>', 'page size (1–500)', '100')
    .option('--cursor <cursor>', 'continue after a previous page')
    .option('--json', 'print JSON')
    .action(async (o: { account?: string; serial?: string; model?: string; tag?: string; online?: boolean; offline?: boolean; limit: string; cursor?: string; json?: boolean }) => {
      const online = o.online ? true : o.offline ? false : undefined;
      const limit = wholeNumber('--limit', o.limit, 1, 500);
      const { page, view } = await withServices(g(), async (s) => ({
        page: await s.devices.list(CLI, { accountId: o.account, serial: o.serial, model: o.model, tag: o.tag, online, limit, cursor: o.cursor }),
        view: (d: Parameters<typeof deviceView>[0]) => deviceView(d, s.devices.jid(d.id)),
      }));
      const items = page.items.map(view);
      if (o.json) return printJson({ items, nextCursor: page.nextCursor });
      printTable(items.map((d) => ({ ...d, tags: d.tags.join(',') })), ['deviceId', 'accountId', 'model', 'serial', 'tags', 'online', 'lastSeenAt']);
      if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
    });
  device
    .command('show <deviceId>')
    .description('show one device')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const v = await withServices(g(), async (s) => deviceView(await s.devices.get(CLI, id), s.devices.jid(id)));
      o.json ? printJson(v) : printFields(v);
    });
  device
    .command('status <deviceId>')
    .description("a device's last known supplies, counters, state and errors (from the relay's status poll and counters reports)")
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const v = await withServices(g(), async (s) => {
        const d = await s.devices.get(CLI, id);
        return statusView(d, d.online, (await s.ctx.store.status.get(d.id)) ?? EMPTY_STATUS, await s.ctx.store.print.printer(d.id));
      });
      if (o.json) return printJson(v);
      const { supplies, counters, errors, printer, ...rest } = v;
      printFields({ ...rest, errors: errors.join(', ') || 'none', pages: counters.total, mono: counters.mono, colour: counters.colour, acceptingJobs: printer?.acceptingJobs ?? null, printerSays: printer?.status ?? null });
      process.stdout.write('\n');
      printTable(supplies.map((x) => ({ ...x })), ['index', 'description', 'kind', 'colour', 'percent', 'level', 'max']);
    });
  device
    .command('update <deviceId>')
    .description('edit registry fields (seed 004 registration number table) and tags; give "" to clear one')
    .option('--registration-number <n>', 'registration number the device reports with')
    .option('--place <text>', 'installation place')
    .option('--installer <text>', 'installing person')
    .option('--contact <text>', 'how to reach the installing person')
    .option('--contact-email <address>', 'e-mail for notifications (toner low, …)')
    .option('--tags <a,b,…>', 'its whole set of tags (replaces the one before; "" removes all)')
    .option('--legacy', 'let it report with its registration number alone (CGI U=)')
    .option('--no-legacy', 'require its token again')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { registrationNumber?: string; place?: string; installer?: string; contact?: string; contactEmail?: string; tags?: string; legacy?: boolean; json?: boolean }) => {
      const orNull = (v: string | undefined) => (v === undefined ? undefined : v === '' ? null : v);
      const changes = {
        registrationNumber: orNull(o.registrationNumber),
        installationPlace: orNull(o.place),
        installer: orNull(o.installer),
        contact: orNull(o.contact),
        contactEmail: orNull(o.contactEmail),
        legacyAuth: o.legacy,
        tags: o.tags === undefined ? undefined : o.tags.split(',').map((t) => t.trim()).filter(Boolean),
      };
      const v = await withServices(g(), async (s) => {
        const d = await s.devices.update(CLI, id, changes);
        return deviceView(d, s.devices.jid(d.id));
      });
      o.json ? printJson(v) : printFields(v);
    });
  device
    .command('remove <deviceId>')
    .description('remove a device and its token')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withServices(g(), (s) => s.devices.remove(CLI, id));
      o.json ? printJson({ deviceId: id, removed: true }) : process.stdout.write(`device ${id} removed\n`);
    });
  device
    .command('rotate-token <deviceId>')
    .description('give a device a new token; the old one stops working at once')
    .option('--json', 'print {"deviceId", "jid", "token"} as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const c = await withServices(g(), (s) => s.devices.rotateToken(CLI, id));
      o.json ? printJson(c) : printFields({ ...c });
    });
  return device;
}
