import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isAdmin } from '../domain/principal.js';
import type { Services } from '../services/index.js';
import type { SignedIn } from '../services/identity/auth.js';
import { ServiceError } from '../services/kernel/errors.js';
import { PROBLEMS } from '../services/kernel/errors.js';
import type { RateLimiter } from '../services/kernel/rate-limit.js';
import type { AlertService } from '../services/management/alerts.js';
import type { BulkService } from '../services/management/bulk.js';
import type { StatusService } from '../services/management/status.js';
import type { FleetService } from '../services/management/fleet.js';
import type { PrintService } from '../services/print/print.js';
import type { PushService } from '../services/push/push.js';
import type { DevicePresence } from '../sessions/device-sessions.js';
import { newSecret, sameText } from '../services/kernel/secrets.js';
import { SESSION_COOKIE } from '../http/auth.js';
import { html, type Html } from './html.js';
import type { ConsoleKit } from './console.js';
import { devicePages } from './device-pages.js';
import { CONSOLE_JS, type LiveEvents } from './live.js';
import { dashboard } from './dashboard.js';
import { alertsPage } from './alerts-page.js';
import { printPages } from './print-pages.js';
import { faxPage } from './fax-page.js';
import { firmwarePage } from './firmware-page.js';
import { settingsPage } from './settings-page.js';
import type { WebhookService } from '../services/management/webhooks.js';
import type { FaxSwitchboard } from '../services/fax/switchboard.js';

const LOGIN_CSRF_COOKIE = 'fr_login_csrf';

/**
 * Console pages: sign-in, the alert queue, and the claim page of seed 003 (T40–T52: a person opens
 * the claim URL and types the PIN the device showed); the device pages are in device-pages.ts.
 * Forms carry a CSRF token: the session's once signed in, a double-submit cookie before.
 */
/** What the console's pages use besides the services. */
export interface ConsoleParts {
  presence: DevicePresence;
  status: StatusService;
  fleet: FleetService;
  alerts: AlertService;
  print: PrintService;
  push: PushService;
  bulk: BulkService;
  live: LiveEvents;
  fax: FaxSwitchboard;
  webhooks: WebhookService;
}

export async function webRoutes(app: FastifyInstance, o: { kit: ConsoleKit; services: Services; parts: ConsoleParts; failures: RateLimiter }): Promise<void> {
  const { alerts } = o.parts;
  const { auth, registration, accounts, devices, ctx } = o.services;
  const hide = { hide: true };

  app.addHook('onSend', async (_request, reply) => {
    // One script, the relay's own (/console.js, live updates); pages work without it.
    reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'");
    reply.header('x-content-type-options', 'nosniff');
    // Claim URLs are capabilities: never leak them in a Referer header or a shared cache.
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cache-control', 'no-store');
  });

  const cookieOptions = (request: FastifyRequest) =>
    ({ path: '/', httpOnly: true, sameSite: 'lax', secure: request.protocol === 'https' }) as const;

  const { signedIn, send, toLogin } = o.kit;

  /** Only a local path may follow sign-in, never another site. */
  const safeNext = (next: unknown): string => (typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/');

  const loginForm = (next: string, csrf: string, error?: string) => html`
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    <form method="post" action="/login">
      <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
      <label for="username">User name</label><input id="username" name="username" autocomplete="username" required autofocus>
      <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
    </form>`;

  app.get<{ Querystring: { next?: string } }>('/login', { schema: hide }, async (request, reply) => {
    const csrf = newSecret(ctx.random, '');
    reply.setCookie(LOGIN_CSRF_COOKIE, csrf, { ...cookieOptions(request), sameSite: 'strict', maxAge: 3600 });
    return send(reply, 200, 'Sign in', loginForm(safeNext(request.query.next), csrf));
  });

  app.post<{ Body: Record<string, string> }>('/login', { schema: hide }, async (request, reply) => {
    const b = request.body ?? {};
    const next = safeNext(b.next);
    const cookie = request.cookies[LOGIN_CSRF_COOKIE];
    if (!cookie || typeof b._csrf !== 'string' || !sameText(cookie, b._csrf))
      return send(reply, 403, 'Sign in', html`<p class="error">The form expired. <a href="/login?next=${encodeURIComponent(next)}">Sign in again</a>.</p>`);
    if (o.failures.blocked(request.ip))
      return send(reply, 429, 'Sign in', loginForm(next, cookie, 'Too many failed attempts from this address. Wait a minute and try again.'));
    const result = await auth.signIn(String(b.username ?? ''), String(b.password ?? ''));
    if (!result) {
      o.failures.hit(request.ip);
      return send(reply, 401, 'Sign in', loginForm(next, cookie, 'Wrong user name or password.'));
    }
    reply.clearCookie(LOGIN_CSRF_COOKIE, { path: '/' });
    reply.setCookie(SESSION_COOKIE, result.session, { ...cookieOptions(request), maxAge: 12 * 3600 });
    return reply.redirect(next, 303);
  });

  app.post<{ Body: Record<string, string> }>('/logout', { schema: hide }, async (request, reply) => {
    const s = await signedIn(request);
    if (s && typeof request.body?._csrf === 'string' && sameText(request.body._csrf, s.csrf)) {
      await auth.signOut(request.cookies[SESSION_COOKIE]!);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
    }
    return reply.redirect('/login', 303);
  });

  const claimForm = async (s: SignedIn, claimId: string, error?: string): Promise<Html> => {
    const reg = await registration.view(claimId);
    const choices = isAdmin(s.principal) ? await accounts.listAccounts(s.principal) : [];
    const accountPicker = choices.length
      ? html`<label for="account">Account</label><select id="account" name="account">${choices.map(
          (a) => html`<option value="${a.id}"${a.id === s.principal.accountId ? html` selected` : ''}>${a.name} (${a.id})</option>`,
        )}</select>`
      : '';
    return html`
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <p>A <strong>${reg.model}</strong> with serial number <strong>${reg.serial}</strong> asks to join FleetRelay.</p>
      <p>Type the PIN the device shows. It expires at ${new Date(reg.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC.</p>
      <form method="post" action="/claim/${claimId}">
        <input type="hidden" name="_csrf" value="${s.csrf}">
        <label for="pin">PIN</label><input id="pin" name="pin" inputmode="numeric" autocomplete="one-time-code" maxlength="16" required autofocus>
        ${accountPicker}
        <button type="submit">Register device</button>
      </form>`;
  };

  const claimParams = { type: 'object', properties: { claimId: { type: 'string', maxLength: 100 } }, required: ['claimId'] } as const;

  /** A claim refused because the serial is a device already: what happened, and the operator's next step if they may take it. */
  const refusedPage = async (s: SignedIn, claimId: string): Promise<Html> => {
    const { registration: reg, device } = await registration.refusedFor(s.principal, claimId);
    const step = (action: string, label: string) =>
      html`<form method="post" action="/claim/${claimId}/${action}" class="inline"><input type="hidden" name="_csrf" value="${s.csrf}"><button type="submit" data-action="${action}">${label}</button></form>`;
    return html`<p class="error" role="alert">A ${reg.model} with serial ${reg.serial} is already registered, so this registration was refused. The device has been told so.</p>
      ${
        device
          ? html`<p>It is registered as <code id="existing-device">${device.id}</code> in account ${device.accountId}. If this is the same machine (for example after a reset), give it a new token and enter that in the device. If the registered one is stale, remove it and let the device register again.</p>
            <p>${step('rotate-token', 'Give it a new token')} ${step('remove-device', 'Remove the registered device')}</p>`
          : html`<p id="ask-operator">It belongs to an account you cannot manage: ask that account's operator or a site administrator to remove it or give it a new token.</p>`
      }`;
  };

  app.get<{ Params: { claimId: string } }>('/claim/:claimId', { schema: { ...hide, params: claimParams } }, async (request, reply) => {
    const s = await signedIn(request);
    if (!s) return toLogin(reply, `/claim/${request.params.claimId}`);
    try {
      const reg = await registration.view(request.params.claimId);
      if (reg.state === 'refused') return send(reply, 409, 'Register a device', await refusedPage(s, request.params.claimId), s);
      if (reg.state !== 'pending' || reg.expiresAt <= ctx.clock.now())
        return send(reply, 410, 'Register a device', html`<p class="error">This registration is no longer open. Ask the device to register again.</p>`, s);
      return send(reply, 200, 'Register a device', await claimForm(s, request.params.claimId), s);
    } catch (err) {
      if (err instanceof ServiceError) return send(reply, PROBLEMS[err.problem].status, 'Register a device', html`<p class="error">${err.message}</p>`, s);
      throw err;
    }
  });

  app.post<{ Params: { claimId: string }; Body: Record<string, string> }>(
    '/claim/:claimId',
    { schema: { ...hide, params: claimParams } },
    async (request, reply) => {
      const { claimId } = request.params;
      const s = await signedIn(request);
      if (!s) return toLogin(reply, `/claim/${claimId}`);
      const b = request.body ?? {};
      if (typeof b._csrf !== 'string' || !sameText(b._csrf, s.csrf))
        return send(reply, 403, 'Register a device', html`<p class="error">The form expired; reload the page.</p>`, s);
      try {
        const account = typeof b.account === 'string' && b.account ? b.account : undefined;
        const device = await registration.claim(s.principal, claimId, String(b.pin ?? '').slice(0, 32), account);
        return send(
          reply,
          201,
          'Device registered',
          html`<p class="ok" role="status">The ${device.model} (serial ${device.serial}) is registered as <code id="device-id">${device.id}</code> in account ${device.accountId}. It picks up its access token on its next poll.</p><p><a href="/devices">All devices</a></p>`,
          s,
        );
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        const status = PROBLEMS[err.problem].status;
        if (err.problem === 'rate-limited' && typeof err.extra.retryAfter === 'number') reply.header('retry-after', String(err.extra.retryAfter));
        const body =
          err.problem === 'wrong-pin'
            ? await claimForm(s, claimId, err.message)
            : err.extra.reason === 'serial-taken'
              ? await refusedPage(s, claimId)
              : html`<p class="error" role="alert">${err.message}</p>`;
        return send(reply, status, 'Register a device', body, s);
      }
    },
  );

  // The next steps a refused claim offers: act on the device already registered under that serial.
  app.post<{ Params: { claimId: string; step: string }; Body: Record<string, string> }>(
    '/claim/:claimId/:step',
    { schema: { ...hide, params: { ...claimParams, properties: { ...claimParams.properties, step: { type: 'string', enum: ['rotate-token', 'remove-device'] } }, required: ['claimId', 'step'] } } },
    async (request, reply) => {
      const { claimId, step } = request.params;
      const s = await signedIn(request);
      if (!s) return toLogin(reply, `/claim/${claimId}`);
      if (typeof request.body?._csrf !== 'string' || !sameText(request.body._csrf, s.csrf))
        return send(reply, 403, 'Register a device', html`<p class="error">The form expired; reload the page.</p>`, s);
      try {
        const { device } = await registration.refusedFor(s.principal, claimId);
        if (!device) return send(reply, 404, 'Register a device', html`<p class="error" role="alert">You cannot manage the device registered under this serial.</p>`, s);
        if (step === 'remove-device') {
          await devices.remove(s.principal, device.id);
          return send(
            reply,
            200,
            'Device removed',
            html`<p class="ok" role="status">The ${device.model} (serial ${device.serial}, <code>${device.id}</code>) was removed. Let the device register again: it shows a new PIN and link.</p><p><a href="/devices">All devices</a></p>`,
            s,
          );
        }
        const c = await devices.rotateToken(s.principal, device.id);
        return send(
          reply,
          200,
          'New device token',
          html`<p class="ok" role="status">The ${device.model} (serial ${device.serial}) has a new token; the old one no longer works. Enter it in the device now: it is shown only once.</p>
            <p>Device <code>${c.deviceId}</code>, JID <code>${c.jid}</code></p><p>Token <code id="device-token">${c.token}</code></p><p><a href="/devices">All devices</a></p>`,
          s,
        );
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        return send(reply, PROBLEMS[err.problem].status, 'Register a device', html`<p class="error" role="alert">${err.message}</p>`, s);
      }
    },
  );

  o.parts.live.routes(app, o.kit);
  app.get('/console.js', { schema: hide }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(CONSOLE_JS));
  await devicePages(app, { kit: o.kit, services: o.services, ...o.parts });
  await printPages(app, { kit: o.kit, services: o.services, print: o.parts.print });
  await faxPage(app, { kit: o.kit, services: o.services, board: o.parts.fax });
  await firmwarePage(app, { kit: o.kit, services: o.services });
  await settingsPage(app, { kit: o.kit, services: o.services, webhooks: o.parts.webhooks });
  await alertsPage(app, { kit: o.kit, alerts, clock: ctx.clock });
  await dashboard(app, { kit: o.kit, services: o.services, alerts, fleet: o.parts.fleet });
}
