import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_COOKIE } from '../http/auth.js';
import type { AuthService, SignedIn } from '../services/identity/auth.js';
import { PROBLEMS, ServiceError } from '../services/kernel/errors.js';
import { sameText } from '../services/kernel/secrets.js';
import { html, page, type Html } from './html.js';

/** What every console page does: who is signed in, sending a page, sending to sign-in, checking a form's CSRF token. */
export function consoleKit(auth: AuthService) {
  const signedIn = async (request: FastifyRequest): Promise<SignedIn | null> => {
    const secret = request.cookies[SESSION_COOKIE];
    return secret ? auth.session(secret) : null;
  };
  const send = (reply: FastifyReply, status: number, title: string, body: Html, s?: SignedIn | null): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').send(page(title, body, s ? { user: s.principal.name, csrf: s.csrf } : {}));
  const toLogin = (reply: FastifyReply, next: string): FastifyReply => reply.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
  const formOk = (body: Record<string, string> | undefined, s: SignedIn): boolean => typeof body?._csrf === 'string' && sameText(body._csrf, s.csrf);
  /** A service's refusal as a page: its status and message, and a way back. */
  const refused = (reply: FastifyReply, title: string, err: unknown, back: string, s: SignedIn): FastifyReply => {
    if (!(err instanceof ServiceError)) throw err;
    return send(reply, PROBLEMS[err.problem].status, title, html`<p class="error" role="alert">${err.message}</p><p><a href="${back}">Back</a></p>`, s);
  };
  /**
   * A console form's POST: signed in (else to sign-in), its CSRF token checked (else 403), and a
   * service's refusal shown as a page with a way back (`back`, also where sign-in returns to).
   */
  const form = <P extends Record<string, string>>(
    app: FastifyInstance,
    path: string,
    o: { title: string; back: (params: P) => string; params?: object },
    act: (s: SignedIn, params: P, body: Record<string, string>, reply: FastifyReply) => Promise<FastifyReply>,
  ): void => {
    app.post<{ Body: Record<string, string> }>(path, { schema: { hide: true, ...(o.params ? { params: o.params } : {}) } }, async (request, reply) => {
      const params = request.params as P;
      const s = await signedIn(request);
      if (!s) return toLogin(reply, o.back(params));
      if (!formOk(request.body, s)) return send(reply, 403, o.title, html`<p class="error">The form expired; reload the page.</p>`, s);
      try {
        return await act(s, params, request.body ?? {}, reply);
      } catch (err) {
        return refused(reply, o.title, err, o.back(params), s);
      }
    });
  };
  return { signedIn, send, toLogin, formOk, refused, form };
}

export type ConsoleKit = ReturnType<typeof consoleKit>;

/** A hidden CSRF field for a signed-in form. */
export const csrfField = (s: SignedIn): Html => html`<input type="hidden" name="_csrf" value="${s.csrf}">`;

/** Times on pages: UTC, to the minute. */
export const when = (t: number | null): string => (t === null ? '-' : `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`);
