/** Measuring a relay process under attack: its resident memory, read from /proc. */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';

/** Resident set size of a process, in MiB. */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** Samples a process's RSS every 50 ms while `work` runs; the highest reading. */
export async function peakRssDuring(pid: number, work: () => Promise<void>): Promise<number> {
  let peak = rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, rssMiB(pid));
}

/** A line-oriented TCP client (SMTP): send a line, read the reply lines up to the last one. */
export class LineClient {
  private buffer = '';
  private waiting: ((line: string) => void) | null = null;
  private lines: string[] = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      let i: number;
      while ((i = this.buffer.indexOf('\r\n')) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 2);
        if (this.waiting) {
          const w = this.waiting;
          this.waiting = null;
          w(line);
        } else this.lines.push(line);
      }
    });
  }

  static open(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  /** The next complete SMTP reply (multi-line replies are joined), bounded by `ms`. */
  async reply(ms = 30_000): Promise<string> {
    const parts: string[] = [];
    for (;;) {
      const line = this.lines.shift() ?? (await this.nextLine(ms));
      parts.push(line);
      if (line[3] !== '-') return parts.join('\n');
    }
  }

  async command(line: string): Promise<string> {
    this.socket.write(line + '\r\n');
    return this.reply();
  }

  /** Writes `chunk` `times` times, waiting for the socket to drain between writes. */
  async pump(chunk: Buffer, times: number): Promise<void> {
    for (let i = 0; i < times; i++) if (!this.socket.write(chunk)) await new Promise((r) => this.socket.once('drain', r));
  }

  close(): void {
    this.socket.destroy();
  }

  private nextLine(ms: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
      this.waiting = (l) => {
        clearTimeout(t);
        resolve(l);
      };
    });
  }
}

/**
 * One SMTP client sending `mib` MiB of DATA to `to`: every reply of the dialogue, in order
 * (greeting, EHLO, MAIL, RCPT, DATA, and the answer to the final dot).
 */
export async function oversizeMail(port: number, to: string, mib: number): Promise<string[]> {
  const smtp = await LineClient.open(port);
  try {
    const replies = [await smtp.reply()];
    for (const line of ['EHLO attacker.example', 'MAIL FROM:<mallory@example.com>', `RCPT TO:<${to}>`, 'DATA']) replies.push(await smtp.command(line));
    await smtp.pump(Buffer.concat(Array(1024).fill(Buffer.from('X'.repeat(1022) + '\r\n'))), mib);
    replies.push(await smtp.command('.'));
    return replies;
  } finally {
    smtp.close();
  }
}

/**
 * A fax connection from `from` that never logs in and sends all but the last byte of a DATA
 * frame of exactly 1 MiB (the default --fax-max-frame); resolves once the relay has closed it.
 */
export function partialFaxFrame(port: number, from: string): Promise<void> {
  const frame = Buffer.alloc(4 + 1024 * 1024 - 1, 0x5a);
  frame.writeUInt32BE(1024 * 1024, 0);
  frame[4] = 0x20; // DATA
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from }, () => s.write(frame));
    s.on('error', () => {});
    s.on('close', () => resolve());
    s.resume();
  });
}

/** Creates a BOSH session from `from` and never authenticates: its sid, or the relay's answer when it refused. */
export function anonymousBoshSession(relayUrl: string, from: string): Promise<string> {
  const body = `<body rid='1000' to='fleetrelay.local' wait='60' hold='1' ver='1.6' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'/>`;
  return new Promise((resolve, reject) => {
    const req = request(`${relayUrl}/http-bind`, { method: 'POST', localAddress: from, agent: false, headers: { 'content-type': 'text/xml' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(/sid='([^']+)'/.exec(text)?.[1] ?? text));
    });
    req.on('error', reject);
    req.end(body);
  });
}
