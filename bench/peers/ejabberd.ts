/**
 * Debian's ejabberd as a side-by-side peer for the push benchmark: a private instance on
 * 127.0.0.1 whose config, Mnesia spool, logs, node name and cookie all live in one directory.
 * Needs `apt-get install ejabberd`, and root: ejabberdctl refuses other users but `ejabberd`.
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Ejabberd {
  /** http://127.0.0.1:PORT: BOSH at /http-bind, WebSocket at /xmpp-websocket. */
  url: string;
  domain: string;
  /** The beam.smp that serves, for /proc/<pid>/status and /proc/<pid>/stat. */
  pid: number;
  version: string;
  register(users: { user: string; password: string }[], concurrency?: number): Promise<void>;
  stop(): Promise<void>;
}

const EJABBERDCTL = '/usr/sbin/ejabberdctl';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The template sits beside the source; from dist/bench/peers/ that is three levels up. */
function template(): string {
  const beside = new URL('./ejabberd.yml', import.meta.url);
  return readFileSync(existsSync(beside) ? beside : new URL('../../../bench/peers/ejabberd.yml', import.meta.url), 'utf8');
}

export async function startEjabberd(o: { httpPort: number; domain: string; dir?: string }): Promise<Ejabberd> {
  if (!existsSync(EJABBERDCTL)) throw new Error('ejabberd is not installed: apt-get install -y ejabberd');
  const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'ejabberd'], { encoding: 'utf8' });
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'fleetbench-ejabberd-')));
  const node = `fleetbench-${o.httpPort}@localhost`;
  const url = `http://127.0.0.1:${o.httpPort}`;
  for (const sub of ['spool', 'logs']) await mkdir(join(dir, sub), { recursive: true });
  await writeFile(join(dir, 'ejabberd.yml'), template().replaceAll('@DOMAIN@', o.domain).replaceAll('@HTTP_PORT@', String(o.httpPort)));
  // ejabberdctl sources this instead of /etc/default/ejabberd (--config-dir). +P and
  // ERL_MAX_PORTS lift Erlang's process and port tables well past 20,000 sessions. As root,
  // ejabberdctl would run the node through `su ejabberd`, whose pam_limits puts the soft open-file
  // limit back to 1024; EXEC_CMD (its own variable, read after this file) keeps it in this process.
  await writeFile(join(dir, 'ejabberdctl.cfg'), 'ERL_MAX_PORTS=65536\nERL_PROCESSES=1000000\nERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\nERL_EPMD_ADDRESS=127.0.0.1\nEXEC_CMD=as_current_user\n');
  // The cookie stays here rather than in ~/.erlang.cookie; Erlang distribution listens on loopback
  // only (and an epmd this node has to start, too).
  await writeFile(join(dir, 'vm.args'), `-setcookie ${randomBytes(12).toString('hex')}\n-kernel inet_dist_use_interface {127,0,0,1}\n`);
  await writeFile(join(dir, 'inetrc'), '{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n');

  const args = ['--config-dir', dir, '--spool', join(dir, 'spool'), '--logs', join(dir, 'logs'), '--node', node, 'foreground'];
  const child = spawn('bash', ['-c', 'ulimit -n 20000 && exec "$0" "$@"', EJABBERDCTL, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer): void => void (output = (output + b.toString('utf8')).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));

  const fail = async (why: string): Promise<never> => {
    const beam = beamPid(node);
    if (beam) signal(beam, 'SIGKILL');
    child.kill('SIGKILL');
    const log = await readFile(join(dir, 'logs', 'ejabberd.log'), 'utf8').catch(() => '');
    const tail = (log + '\n' + output).trim().split('\n').slice(-25).join('\n');
    throw new Error(`ejabberd ${why} (${dir})\n${tail}`);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone) return fail(`exited during start-up`);
    if ((await httpCall('GET', `${url}/http-bind`).catch(() => null))?.status === 200) break;
    if (Date.now() > deadline) return fail('did not answer on its HTTP port within 60 s');
    await sleep(250);
  }
  const pid = beamPid(node);
  if (!pid) return fail(`runs, but no beam.smp with -sname ${node} was found`);
  const orphanGuard = (): void => signal(pid, 'SIGKILL');
  process.once('exit', orphanGuard);

  return {
    url,
    domain: o.domain,
    pid,
    version,
    async register(users, concurrency = 32) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < users.length) {
          const u = users[next++]!;
          const r = await httpCall('POST', `${url}/api/register`, JSON.stringify({ user: u.user, host: o.domain, password: u.password }), agent);
          if (r.status < 200 || r.status > 299) throw new Error(`ejabberd refused to register ${u.user}: HTTP ${r.status} ${r.body}`);
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
      } finally {
        agent.destroy();
      }
    },
    async stop() {
      process.off('exit', orphanGuard);
      // The VM takes SIGTERM as init:stop(), a clean shutdown; ejabberdctl and bash follow it out.
      if (!gone) signal(pid, 'SIGTERM');
      const killAt = Date.now() + 15_000;
      while (existsSync(`/proc/${pid}`) && Date.now() < killAt) await sleep(100);
      if (existsSync(`/proc/${pid}`)) signal(pid, 'SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
      if (!o.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {} // already gone
}

/** bash → ejabberdctl → erl → beam.smp: found by its node name rather than by process ancestry. */
function beamPid(node: string): number | null {
  const name = node.split('@')[0]!;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = argv.indexOf('-sname');
    if (argv[0]?.endsWith('beam.smp') && i >= 0 && argv[i + 1]?.split('@')[0] === name) return Number(entry);
  }
  return null;
}

function httpCall(method: string, url: string, body?: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, timeout: 10_000, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
