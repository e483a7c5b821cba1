import type { FastifyInstance } from 'fastify';
import { MAX_STATUS_POLL_SECONDS, type Account } from '../domain/accounts.js';
import { isAdmin } from '../domain/principal.js';
import type { SignedIn } from '../services/identity/auth.js';
import type { Services } from '../services/index.js';
import { WEBHOOK_EVENTS, type WebhookService } from '../services/management/webhooks.js';
import { csrfField, when, type ConsoleKit } from './console.js';
import { html, listTable, type Html } from './html.js';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

/**
 * The console's settings (issue 15): the people who sign in, API tokens, webhooks, and accounts
 * with their status poll interval and supply-low mark (new accounts by a site admin) — each listed as the API lists it for this person, with its forms. A new
 * token or webhook secret is shown once, as the API and CLI show it.
 */
export async function settingsPage(app: FastifyInstance, o: { kit: ConsoleKit; services: Services; webhooks: WebhookService }): Promise<void> {
  const { kit } = o;
  const { accounts } = o.services;
  const back = () => '/settings';

  /** An admin picks the account; an operator's forms are for their own. */
  const accountField = (s: SignedIn, id: string, all: Account[]): Html =>
    isAdmin(s.principal)
      ? html`<div><label for="${id}">Account</label><select id="${id}" name="account">${all.map((a) => html`<option value="${a.id}">${a.name} (${a.id})</option>`)}</select></div>`
      : html``;

  app.get('/settings', { schema: { hide: true } }, async (request, reply) => {
    const s = await kit.signedIn(request);
    if (!s) return kit.toLogin(reply, '/settings');
    const p = s.principal;
    const admin = isAdmin(p);
    const [users, tokens, hooks, accountList] = await Promise.all([accounts.listUsers(p), accounts.listTokens(p), o.webhooks.list(p), accounts.listAccounts(p)]);
    const button = (action: string, label: string, data: string) => html`<form method="post" action="${action}" class="inline">${csrfField(s)}<button type="submit" data-action="${data}">${label}</button></form>`;
    const people = html`<section aria-labelledby="h-people"><h3 id="h-people">People</h3>${listTable(
      ['User name', 'Account', 'Site admin', 'Added'],
      users.map((u) => ({ attrs: html` data-user="${u.name}"`, cells: [u.name, u.accountId, u.admin ? 'yes' : 'no', when(u.createdAt)] })),
    )}
      <form method="post" action="/settings/users" class="bulk" id="add-user"><h4>Add a person</h4>${csrfField(s)}
        <div><label for="user-name">User name</label><input id="user-name" name="name" required maxlength="64" autocomplete="off"></div>
        <div><label for="user-password">Password (8 or more characters)</label><input id="user-password" name="password" type="password" required minlength="8" autocomplete="new-password"></div>
        ${accountField(s, 'user-account', accountList)}
        ${admin ? html`<div><label><input type="checkbox" name="admin" value="1"> Site admin</label></div>` : ''}
        <div><button type="submit">Add</button></div></form></section>`;
    const tokenTable = html`<section aria-labelledby="h-tokens"><h3 id="h-tokens">API tokens</h3>${
      tokens.length
        ? listTable(
            ['Token', 'Label', 'Account', 'Created', 'Expires', 'Last used', ''],
            tokens.map((t) => ({
              attrs: html` data-token="${t.id}"`,
              cells: [html`<code>${t.id}</code>`, t.label ?? '-', t.admin ? 'site-wide (admin)' : t.accountId, when(t.createdAt), when(t.expiresAt), when(t.lastUsedAt), t.revokedAt ? `revoked ${when(t.revokedAt)}` : button(`/settings/tokens/${t.id}/revoke`, 'Revoke', 'revoke')],
            })),
          )
        : html`<p>No API tokens.</p>`
    }
      <form method="post" action="/settings/tokens" class="bulk" id="add-token"><h4>New API token</h4>${csrfField(s)}
        <div><label for="token-label">Label</label><input id="token-label" name="label" maxlength="200"></div>
        <div><label for="token-days">Expires after (days, empty: never)</label><input id="token-days" name="days" type="number" min="1" max="3650"></div>
        ${accountField(s, 'token-account', accountList)}
        <div><button type="submit">Create</button></div></form></section>`;
    const hookTable = html`<section aria-labelledby="h-webhooks"><h3 id="h-webhooks">Webhooks</h3>${
      hooks.length
        ? listTable(
            ['Webhook', 'URL', 'Events', 'Account', 'Added', ''],
            hooks.map((w) => ({ attrs: html` data-webhook="${w.id}"`, cells: [html`<code>${w.id}</code>`, w.url, w.events.join(', '), w.accountId ?? 'site-wide', when(w.createdAt), button(`/settings/webhooks/${w.id}/remove`, 'Remove', 'remove')] })),
          )
        : html`<p>No webhooks.</p>`
    }
      <form method="post" action="/settings/webhooks" class="bulk" id="add-webhook"><h4>New webhook</h4>${csrfField(s)}
        <div><label for="webhook-url">URL (https)</label><input id="webhook-url" name="url" type="url" required maxlength="2000"></div>
        <fieldset><legend>Events</legend>${WEBHOOK_EVENTS.map((e) => html`<label><input type="checkbox" name="event" value="${e}" checked> ${e}</label>`)}</fieldset>
        ${accountField(s, 'webhook-account', accountList)}
        <div><button type="submit">Add</button></div></form></section>`;
    const accountSettings = (a: Account) =>
      html`<form method="post" action="/settings/accounts/${a.id}" class="inline">${csrfField(s)}<label class="inline-label">Poll every <input name="poll" type="number" min="0" max="${MAX_STATUS_POLL_SECONDS}" value="${a.statusPollSeconds ?? ''}" placeholder="relay's" aria-label="Status poll interval of ${a.id} in seconds (empty: the relay's, 0: never)"> s</label> <label class="inline-label">low at <input name="low" type="number" min="1" max="99" value="${a.supplyLowPercent}" required aria-label="Supply-low mark of ${a.id} in percent"> %</label><button type="submit">Save</button></form>`;
    const accountTable = html`<section aria-labelledby="h-accounts"><h3 id="h-accounts">${admin ? 'Accounts' : 'Account'}</h3>${listTable(
      ['Account', 'Name', 'Created', 'Status poll and supply-low mark'],
      accountList.map((a) => ({ attrs: html` data-account="${a.id}"`, cells: [html`<a href="/devices?account=${a.id}"><code>${a.id}</code></a>`, a.name, when(a.createdAt), accountSettings(a)] })),
    )}${
      admin
        ? html`<form method="post" action="/settings/accounts" class="bulk" id="add-account"><h4>New account</h4>${csrfField(s)}
          <div><label for="account-id">ID (lowercase letters, digits, hyphens)</label><input id="account-id" name="id" required maxlength="32"></div>
          <div><label for="account-name">Name</label><input id="account-name" name="name" maxlength="200"></div>
          <div><button type="submit">Add</button></div></form>`
        : ''
    }</section>`;
    return kit.send(reply, 200, 'Settings', html`${people}${tokenTable}${hookTable}${accountTable}`, s);
  });

  const account = (b: Record<string, string>) => (typeof b.account === 'string' && b.account ? b.account : undefined);

  kit.form(app, '/settings/users', { title: 'Settings', back }, async (s, _p, b, reply) => {
    await accounts.addUser(s.principal, { name: String(b.name ?? ''), password: String(b.password ?? ''), accountId: account(b), admin: b.admin === '1' });
    return reply.redirect('/settings', 303);
  });

  kit.form(app, '/settings/tokens', { title: 'Settings', back }, async (s, _p, b, reply) => {
    const days = b.days ? Number(b.days) : undefined;
    // Whole seconds: the service refuses what is not a positive whole number (NaN, 0, less).
    const { token, info } = await accounts.createToken(s.principal, { accountId: account(b), label: b.label ? String(b.label) : undefined, expiresInSeconds: days === undefined ? undefined : Math.round(days * 86400) });
    return kit.send(
      reply,
      201,
      'New API token',
      html`<p class="ok" role="status">Token <code>${info.id}</code> for ${info.accountId ?? 'every account'} is made. Copy it now: it is shown only once.</p><p><code id="api-token">${token}</code></p><p><a href="/settings">Back to settings</a></p>`,
      s,
    );
  });

  kit.form<{ id: string }>(app, '/settings/tokens/:id/revoke', { title: 'Settings', back, params: idParams }, async (s, p, _b, reply) => {
    await accounts.revokeToken(s.principal, p.id);
    return reply.redirect('/settings', 303);
  });

  kit.form(app, '/settings/webhooks', { title: 'Settings', back }, async (s, _p, b, reply) => {
    const events = ([] as string[]).concat((b as Record<string, string | string[]>).event ?? []);
    const { hook, secret } = await o.webhooks.create(s.principal, { url: String(b.url ?? ''), events, accountId: account(b) });
    return kit.send(
      reply,
      201,
      'New webhook',
      html`<p class="ok" role="status">Webhook <code>${hook.id}</code> calls ${hook.url} on ${hook.events.join(', ')}. Its signing secret is shown only once:</p><p><code id="webhook-secret">${secret}</code></p><p><a href="/settings">Back to settings</a></p>`,
      s,
    );
  });

  kit.form<{ id: string }>(app, '/settings/webhooks/:id/remove', { title: 'Settings', back, params: idParams }, async (s, p, _b, reply) => {
    await o.webhooks.remove(s.principal, p.id);
    return reply.redirect('/settings', 303);
  });

  kit.form<{ id: string }>(app, '/settings/accounts/:id', { title: 'Settings', back, params: idParams }, async (s, p, b, reply) => {
    const poll = String(b.poll ?? '').trim();
    // Whole numbers or the service refuses them (NaN is not one).
    await accounts.updateAccount(s.principal, p.id, { statusPollSeconds: poll === '' ? null : Number(poll), supplyLowPercent: Number(b.low) });
    return reply.redirect('/settings', 303);
  });

  kit.form(app, '/settings/accounts', { title: 'Settings', back }, async (s, _p, b, reply) => {
    await accounts.addAccount(s.principal, String(b.id ?? ''), b.name ? String(b.name) : undefined);
    return reply.redirect('/settings', 303);
  });
}
