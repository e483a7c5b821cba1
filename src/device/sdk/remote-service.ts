import { DEVICE_HTTP } from '../../protocol/device-http.js';
import { httpPost } from './http.js';

/** A report as the device sends it (seed 004), JSON or the seed's CGI form. */
export type DeviceReport =
  | { kind: 'error'; code: string; namespace?: string }
  | { kind: 'user-report'; text: string }
  | { kind: 'order'; code: string; quantity: number }
  | { kind: 'counters'; total: number; mono: number; colour: number }
  | { kind: 'cleared'; code: string; namespace?: string }
  | { kind: 'heartbeat' };

export interface ReportReply {
  receivedAt: string;
  type: string;
  reception: number;
  description: string;
  requests?: unknown[];
}

/** The seed's arguments for a report (Fig. 5 and following). */
export function cgiArguments(r: DeviceReport, registrationNumber: string | null): string {
  const p = new URLSearchParams();
  if (registrationNumber) p.append('U', registrationNumber);
  switch (r.kind) {
    case 'error':
      p.append('P', r.code);
      break;
    case 'cleared':
      p.append('C', r.code);
      break;
    case 'user-report':
      p.append('T', r.text);
      break;
    case 'order':
      p.append('E', r.code);
      p.append('Q', String(r.quantity));
      break;
    case 'counters':
      p.append('TC', String(r.total));
      p.append('BC', String(r.mono));
      p.append('CC', String(r.colour));
      break;
    case 'heartbeat':
      break;
  }
  return p.toString();
}

/** Sends one report and returns the reply the panel shows; only the reply crosses the firewall back. */
export async function sendReport(o: { relayUrl: string; token: string; report: DeviceReport; form?: { registrationNumber: string | null } }): Promise<ReportReply> {
  const headers = { authorization: `Bearer ${o.token}`, connection: 'close' };
  if (o.form) {
    const r = await httpPost(`${o.relayUrl}/cgi-bin/cgi.remoteservice`, cgiArguments(o.report, o.form.registrationNumber), { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, { timeoutMs: 30_000 });
    const fields: Record<string, string> = {};
    const requests: unknown[] = [];
    for (const line of r.body.split('\r\n').filter(Boolean)) {
      const k = line.slice(0, line.indexOf('='));
      const v = line.slice(line.indexOf('=') + 1);
      if (k === 'request') requests.push(JSON.parse(v));
      else fields[k] = v;
    }
    if (r.status !== 200) throw new Error(`${r.status} ${fields.error ?? ''}: ${fields.description ?? r.body}`);
    return { receivedAt: fields.time ?? '', type: fields.type ?? '', reception: Number(fields.reception), description: fields.description ?? '', requests };
  }
  const r = await httpPost(`${o.relayUrl}${DEVICE_HTTP}/reports`, JSON.stringify(o.report), { ...headers, 'content-type': 'application/json' }, { timeoutMs: 30_000 });
  const body = JSON.parse(r.body) as ReportReply & { detail?: string };
  if (r.status !== 200) throw new Error(`${r.status}: ${body.detail ?? r.body}`);
  return body;
}

/** The next time a weekly schedule fires after `now` (e.g. Monday 10:00 UTC): seed 004 states 6 and 7, the update check and the utilization report. */
export function nextWeekly(now: number, weekday: number, hour: number, minute = 0): number {
  const d = new Date(now);
  const t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute);
  const days = (weekday - d.getUTCDay() + 7) % 7;
  const at = t + days * 86400_000;
  return at > now ? at : at + 7 * 86400_000;
}

/**
 * The seed's "abnormal condition likely" rule (state 3): more than `limit` jams within
 * `windowMs` predicts a feed-mechanism failure. Returns true when the rule first trips.
 */
export class JamRule {
  private jams: number[] = [];
  private tripped = false;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  jam(at: number): boolean {
    this.jams = this.jams.filter((t) => t > at - this.windowMs);
    this.jams.push(at);
    if (this.jams.length > this.limit && !this.tripped) return (this.tripped = true);
    if (this.jams.length <= this.limit) this.tripped = false;
    return false;
  }
}
