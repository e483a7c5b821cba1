import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, cli, startRelay, tempDir } from './helpers/relay.js';
import { storeArgs } from './helpers/store.js';

const occupy = (): Promise<Server> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
const portOf = (s: Server): number => (s.address() as { port: number }).port;
const reachable = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** `fleetrelay serve` until it exits (bounded): a relay that cannot bind must not stay up. */
function serve(dataDir: string, args: string[]) {
  return spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...storeArgs(dataDir), 'serve', '--port', '0', '--host', '127.0.0.1', '--smtp-host', '127.0.0.1', '--fax-host', '127.0.0.1', ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('listeners (issue 11 #13)', () => {
  let taken: Server;
  before(async () => {
    taken = await occupy();
  });
  after(() => taken.close());

  for (const [what, flag, others] of [
    ['fax', '--fax-port', ['--smtp-port', '0']],
    ['print-by-mail (SMTP)', '--smtp-port', ['--fax-port', '0']],
  ] as const)
    it(`a taken ${what} port stops the whole relay with exit 1 and says which port and why`, () => {
      const dataDir = tempDir();
      assert.equal(cli(dataDir, ['init']).code, 0);
      const r = serve(dataDir, [flag, String(portOf(taken)), ...others]);
      assert.equal(r.signal, null, 'it exited by itself, nothing left running');
      assert.equal(r.status, 1, r.stderr);
      assert.ok(r.stderr.includes(`cannot listen for ${what} on 127.0.0.1:${portOf(taken)}: the port is in use`), r.stderr);
      assert.equal(existsSync(join(dataDir, 'relay.pid')), false);
    });

  it('--fax-host and --smtp-host bind those listeners where told; --host binds HTTP only', async () => {
    const relay = await startRelay({ args: ['--fax-host', '127.0.0.2', '--smtp-host', '127.0.0.3'] });
    try {
      assert.deepEqual(
        await Promise.all([reachable('127.0.0.2', relay.faxPort), reachable('127.0.0.1', relay.faxPort), reachable('127.0.0.3', relay.smtpPort), reachable('127.0.0.1', relay.smtpPort)]),
        [true, false, true, false],
      );
    } finally {
      await relay.stop();
    }
  });
});
