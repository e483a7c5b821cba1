import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { FaxConnection } from '../src/device/sdk/fax-client.js';
import { sendDocument } from '../src/device/sdk/fax-document.js';
import { FaxMachine } from '../src/device/sdk/fax-machine.js';
import { adminToken, api, CLI, cli, cliJson, startRelay, tempDir, until, type RelayProcess } from './helpers/relay.js';

const PW = 'fax-secret-1';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Runs `fleetrelay fax listen` and collects its JSON lines. */
function listen(args: string[]): { proc: ChildProcess; events: Record<string, unknown>[]; ready: Promise<void> } {
  const proc = spawn(process.execPath, [CLI, 'fax', 'listen', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      const e = JSON.parse(l) as Record<string, unknown>;
      events.push(e);
      if (e.event === 'listening') resolve();
    });
    proc.once('exit', (code) => reject(new Error(`fax listen exited ${code}: ${stderr}`)));
  });
  return { proc, events, ready };
}

function sendCli(port: number, user: string, to: string, file: string, extra: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'fax', 'send', '--relay-host', `127.0.0.1:${port}`, '--user', user, '--to', to, file, ...extra], {
      env: { ...process.env, FLEETRELAY_FAX_PASSWORD: PW },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('fax machines: the CLI and SDK against a real relay', () => {
  let relay: RelayProcess;
  let dir: string;
  let pdf: Buffer;
  before(async () => {
    relay = await startRelay();
    dir = tempDir();
    for (const u of ['alice', 'bob', 'carol']) cliJson(relay.dataDir, ['fax', 'user', 'add', u, '--password', PW]);
    pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(4 * 1024 * 1024), Buffer.from('\n%%EOF\n')]);
    writeFileSync(join(dir, 'scan.pdf'), pdf);
    writeFileSync(join(dir, 'notes.txt'), 'not a fax document');
  });
  after(() => relay.stop());

  it('fax send delivers a multi-megabyte PDF to fax listen, which saves it, confirms it and keeps a spare connection', async () => {
    const inbox = join(dir, 'inbox-bob');
    const l = listen(['--relay-host', '127.0.0.1', '--relay-port', String(relay.faxPort), '--user', 'bob', '--password', PW, '--dir', inbox]);
    try {
      await l.ready;
      const r = await sendCli(relay.faxPort, 'alice', 'bob', join(dir, 'scan.pdf'), ['--json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.deepEqual([out.to, out.size, out.sha256, out.type], ['bob', pdf.length, sha(pdf), 'application/pdf']);
      const got = await until('the document is saved', () => l.events.find((e) => e.event === 'received'));
      assert.equal(got.from, 'alice');
      assert.equal(sha(readFileSync(String(got.path))), sha(pdf));
      assert.deepEqual(readdirSync(inbox), ['scan.pdf'], 'no partial files left behind');
      const admin = adminToken(relay.dataDir);
      await until('bob is back to one vacant connection', async () => {
        const lines = (await api(relay.url, '/api/v1/fax/connections', { token: admin })).body.items.filter((x: any) => x.user === 'bob');
        return lines.length === 1 && lines[0].state === 'vacant' ? true : undefined;
      });

      const refused = await sendCli(relay.faxPort, 'alice', 'bob', join(dir, 'notes.txt'));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /neither PDF nor TIFF/);
      const nobody = await sendCli(relay.faxPort, 'alice', 'carol', join(dir, 'scan.pdf'));
      assert.equal(nobody.code, 1);
      assert.match(nobody.stderr, /not-logged-in/);
      const wrong = cli(relay.dataDir, ['fax', 'send', '--relay-host', `127.0.0.1:${relay.faxPort}`, '--user', 'alice', '--password', 'wrong-one', '--to', 'bob', join(dir, 'scan.pdf')]);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /login refused: bad-credentials/);
    } finally {
      l.proc.kill('SIGTERM');
    }
  });

  it('a fax machine takes two calls at once: it opens a spare connection when a call takes its vacant one', async () => {
    const inbox = tempDir();
    const machine = new FaxMachine({ endpoint: { host: '127.0.0.1', port: relay.faxPort }, user: 'carol', password: PW, inbox });
    const received: string[] = [];
    machine.on('document', (d) => received.push(d.sha256));
    await machine.start();
    try {
      const tiff = Buffer.concat([Buffer.from('II*\0'), randomBytes(300_000)]);
      writeFileSync(join(dir, 'page.tif'), tiff);
      const send = async (user: string, file: string): Promise<string> => {
        const c = await FaxConnection.open({ host: '127.0.0.1', port: relay.faxPort }, user, PW);
        try {
          await c.call('carol');
          const r = await sendDocument(c, file);
          c.terminate();
          c.release();
          return r.sha256;
        } finally {
          c.end();
        }
      };
      // The first call takes carol's only vacant connection; the second needs the spare.
      const first = await FaxConnection.open({ host: '127.0.0.1', port: relay.faxPort }, 'alice', PW);
      await first.call('carol');
      await until('a spare connection is open', () => (machine.open >= 2 ? true : undefined));
      const second = await send('bob', join(dir, 'page.tif'));
      const firstResult = await sendDocument(first, join(dir, 'scan.pdf'));
      first.terminate();
      first.release();
      first.end();
      assert.equal(second, sha(tiff));
      assert.equal(firstResult.sha256, sha(pdf));
      await until('both documents saved', () => (received.length === 2 ? true : undefined));
      assert.deepEqual(readdirSync(inbox).sort(), ['page.tif', 'scan.pdf']);
    } finally {
      await machine.stop();
    }
  });
});

describe('fax relay over TLS', () => {
  it('serves the fax port with the relay’s certificate; fax send --ca reaches fax listen --ca', async () => {
    const dir = tempDir();
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    const relay = await startRelay({ args: ['--tls-cert', cert, '--tls-key', key] });
    try {
      for (const u of ['tx', 'rx']) cliJson(relay.dataDir, ['fax', 'user', 'add', u, '--password', PW]);
      const doc = Buffer.concat([Buffer.from('MM\0*'), randomBytes(200_000)]);
      writeFileSync(join(dir, 'fax.tiff'), doc);
      const l = listen(['--relay-host', `localhost:${relay.faxPort}`, '--user', 'rx', '--password', PW, '--dir', join(dir, 'in'), '--ca', cert]);
      try {
        await l.ready;
        const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const p = spawn(process.execPath, [CLI, 'fax', 'send', '--relay-host', `localhost:${relay.faxPort}`, '--user', 'tx', '--password', PW, '--to', 'rx', '--ca', cert, join(dir, 'fax.tiff')]);
          let stderr = '';
          p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
          p.on('exit', (code) => resolve({ code, stderr }));
        });
        assert.equal(r.code, 0, r.stderr);
        const got = await until('saved', () => l.events.find((e) => e.event === 'received'));
        assert.equal(sha(readFileSync(String(got.path))), sha(doc));
        // A plain-TCP client gets nowhere on the TLS port.
        await assert.rejects(FaxConnection.open({ host: '127.0.0.1', port: relay.faxPort }, 'tx', PW));
      } finally {
        l.proc.kill('SIGTERM');
      }
    } finally {
      await relay.stop();
    }
  });
});
