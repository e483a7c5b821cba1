/**
 * The one list of secrets that must never reach a log line: bearer tokens, capability URLs and
 * query-string credentials. The logger made in main.ts uses it three ways: pino `redact` for
 * fields that hold a secret whole, its request serializer, and a last scrub of every line it
 * writes (messages, error texts and stacks included). Tests grep relay logs with SECRET_IN_LOG.
 */

interface SecretText {
  what: string;
  /** Matches the secret with what names it; the replacement keeps the name and drops the secret. */
  pattern: RegExp;
  replacement: string;
}

export const REDACTED = '…';

/** Secrets recognised in free text: URLs, messages, error texts. */
export const SECRET_TEXT: readonly SecretText[] = [
  { what: 'API, device and registration-poll tokens (fra_, frd_, frp_)', pattern: /\b(fr[adp]_)[A-Za-z0-9_-]+/g, replacement: `$1${REDACTED}` },
  { what: 'an Authorization header value', pattern: /\b(Bearer\s+)(?!<)[^\s"',;]+/gi, replacement: `$1${REDACTED}` },
  {
    what: 'capability URLs: claim pages, registration polls, print control pages',
    // Also URL-encoded, as in /login?next=%2Fclaim%2F<id> after a redirect to sign-in.
    pattern: /((?:\/|%2F)(?:claim|register|print)(?:\/|%2F))(?![…<:])[^/?#&%\s"'<>]+/gi,
    replacement: `$1${REDACTED}`,
  },
  { what: 'the device token in a CGI query string (K=)', pattern: /([?&;]K=)(?!…)[^&#\s"']*/g, replacement: `$1${REDACTED}` },
  { what: 'a print request\'s cancel address', pattern: /\b(cancel-)[A-Za-z0-9]+@/g, replacement: `$1${REDACTED}@` },
];

/** Fields whose whole value is a secret, as pino `redact` paths (one level deep, and at the top). */
const SECRET_FIELDS = ['token', 'pollToken', 'claimId', 'password', 'authorization', 'cookie', 'secret', 'linkKey'];
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'req.headers.authorization',
  'req.headers.cookie',
];

/** One pattern that matches any secret SECRET_TEXT would remove: for tests that grep logs. */
export const SECRET_IN_LOG = new RegExp(
  [
    /\bfr[adp]_[A-Za-z0-9_-]/.source,
    /\bBearer\s+(?![<…])[^\s"',;]/.source,
    /(?:\/|%2F)(?:claim|register|print)(?:\/|%2F)(?![…<:])[^/?#&%\s"'<>]/.source,
    /[?&;]K=(?!…)[^&#\s"']/.source,
    /\bcancel-[A-Za-z0-9]+@/.source,
  ].join('|'),
  'i',
);

export function redactText(s: string): string {
  let out = s;
  for (const { pattern, replacement } of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}
