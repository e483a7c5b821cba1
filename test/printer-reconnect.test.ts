import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualPrinter } from '../src/device/sim/printer.js';
import { adminToken, api, cliJson, startRelay, until } from './helpers/relay.js';

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2_000, 0x20), Buffer.from('\n%%EOF\n')]);

describe('virtual printers across a relay restart', () => {
  it('a virtual printer opens a new session when the relay comes back, and prints again', async () => {
    let relay = await startRelay();
    const port = new URL(relay.url).port;
    const admin = adminToken(relay.dataDir);
    const c = cliJson<{ deviceId: string; token: string }>(relay.dataDir, ['device', 'add', '--serial', 'RC-1', '--model', 'EP']);
    const events: string[] = [];
    const printer = new VirtualPrinter({ relayUrl: relay.url, domain: 'fleetrelay.local', credentials: c, onEvent: (e) => events.push(e) });
    try {
      const online = async () => (await api(relay.url, `/api/v1/printers/${c.deviceId}`, { token: admin })).body.online === true;
      await printer.start();
      assert.equal(await online(), true);
      await relay.stop();
      await until('the printer knows it lost its session', () => (printer.connected ? undefined : true), 10_000);
      relay = await startRelay({ dataDir: relay.dataDir, args: ['--port', port] });
      assert.equal(relay.url, `http://127.0.0.1:${port}`);
      assert.equal(await online(), false, 'the relay starts with every device offline');
      await until('reconnected', async () => ((await online()) ? true : undefined), 30_000);
      assert.ok(events.includes('reconnected'));
      assert.equal(printer.connected, true, 'what the simulator\'s status line counts');
      const form = new FormData();
      form.append('document', new Blob([new Uint8Array(PDF)]), 'after.pdf');
      const r = await fetch(`${relay.url}/api/v1/printers/${c.deviceId}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
      const { jobId } = (await r.json()) as { jobId: string };
      await until('printed after the restart', () => (printer.printed.includes(jobId) ? true : undefined));
    } finally {
      await printer.stop();
      await relay.stop();
    }
  });
});
