import { RelayError, UsageError } from './errors.js';

/** --relay as a base URL ending in "/"; without a scheme ("localhost:8080") it is http. */
export function relayBase(relay: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(relay) ? relay : `http://${relay}`;
  let url: URL;
  try {
    url = new URL(text.replace(/\/*$/, '/'));
  } catch {
    throw new UsageError(`--relay ${relay} is not a URL (e.g. http://localhost:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--relay ${relay}: the relay is reached over http:// or https://`);
  return url;
}

/** The relay's URL without a trailing slash, as the device SDK and simulator take it. */
export function relayUrl(relay: string): string {
  return relayBase(relay).href.replace(/\/+$/, '');
}

/** Why a connection failed, from fetch's nested causes (an AggregateError when localhost has two addresses). */
export function connectionCause(err: unknown): string {
  let e = err as (Error & { cause?: unknown; code?: string; errors?: Error[] }) | undefined;
  if (e?.name === 'TimeoutError') return 'no answer in time';
  while (e?.cause instanceof Error) e = e.cause as typeof e;
  if (!e) return String(err);
  const inner = e.errors?.map((x) => x.message).filter(Boolean) ?? [];
  return e.message || inner.join('; ') || e.code || String(err);
}

/** fetch, where a failure to connect names the relay and the cause. */
export async function relayFetch(url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new Error(`cannot reach the relay at ${url.origin}: ${connectionCause(err)}`);
  }
}

/** The first line of text in a body (tags stripped), for answers that are not ours, e.g. a proxy's error page. */
export function firstLine(body: string): string {
  for (const line of body.split(/\r?\n/)) {
    const text = line.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    if (text) return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
  return '';
}

/** The relay's JSON answer; an error status or a body that is not JSON becomes a readable error. */
export async function relayAnswer(res: Response): Promise<unknown> {
  const text = await res.text();
  let data: unknown;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    const line = firstLine(text);
    if (!res.ok) throw new RelayError(res.status, `${res.status} ${res.statusText}${line ? `: ${line}` : ''}`);
    throw new Error(`the relay answered ${res.status} with ${res.headers.get('content-type') ?? 'no content type'}, not JSON${line ? `: ${line}` : ''}`);
  }
  if (!res.ok) {
    const p = (data && typeof data === 'object' ? data : {}) as { detail?: string; type?: string };
    throw new RelayError(res.status, `${res.status} ${p.detail ?? res.statusText}${p.type ? ` (${p.type})` : ''}`);
  }
  return data;
}
