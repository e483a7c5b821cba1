import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Device } from '../../src/domain/devices.js';
import type { Principal } from '../../src/domain/principal.js';
import { ERROR_NAMESPACE, ORDER_NAMESPACE, parseCgi, ReportError, type CgiReport, type ReportInput } from '../../src/domain/reports.js';
import { ReportService } from '../../src/services/management/reports.js';
import { testStore } from '../helpers/store.js';
import type { Store } from '../../src/store/store.js';
import { ManualClock } from '../helpers/clock.js';
import { reportService, serviceRig } from '../helpers/services.js';

/**
 * Seed 004 (/work/shared/spec/seed-004.md, original /work/shared/seeds/004_*.txt): the CGI form
 * (§2.2, §2.5), the preset states 1–7 and the fixed-interval variant (§2.4, §3.2–§3.9), the error
 * content and order content tables (§1.4, §2.5), and the reply (§2.3, Figs. 6–18). Expected
 * values are written from the seed; the seed's examples are the registration number 123456,
 * errors 341/531/784, order Type2 × 2 and counters 46456/34842/11614.
 */

/** The CGI form as the relay sees it: pairs in their order, from the seed's `key=value&…` string. */
const cgi = (query: string): [string, string][] => [...new URLSearchParams(query)];

const REG = '123456';

interface ParseRow {
  name: string;
  query: string;
  expected: CgiReport;
}

const report = (input: ReportInput, registrationNumber: string | null = REG, token: string | null = null): CgiReport => ({ registrationNumber, token, input });

/** §2.4 message catalogue: each preset state's request (Figs. 5, 7, 9, 11, 13, 17) parsed to its report. */
const STATES: ParseRow[] = [
  { name: 'state 1 (consumable low, Fig. 5): U=123456&P=341 → error 341', query: 'U=123456&P=341', expected: report({ kind: 'error', namespace: 'error', code: '341' }) },
  { name: 'state 2 (part replacement, Fig. 7): U=123456&P=531 → error 531', query: 'U=123456&P=531', expected: report({ kind: 'error', namespace: 'error', code: '531' }) },
  { name: 'state 3 (abnormal condition, Fig. 9): U=123456&P=784 → error 784', query: 'U=123456&P=784', expected: report({ kind: 'error', namespace: 'error', code: '784' }) },
  { name: 'state 4 (user-entered problem, Fig. 11): U=123456&T=many scummings → user report', query: 'U=123456&T=many+scummings', expected: report({ kind: 'user-report', text: 'many scummings' }) },
  { name: 'state 5 (user order, Fig. 13): U=123456&E=Type2&U=2 → order Type2, quantity 2', query: 'U=123456&E=Type2&U=2', expected: report({ kind: 'order', code: 'Type2', quantity: 2 }) },
  { name: 'state 7 (utilization report, Fig. 17): U=123456&TC=46456&BC=34842&CC=11614 → counters', query: 'U=123456&TC=46456&BC=34842&CC=11614', expected: report({ kind: 'counters', total: 46456, mono: 34842, colour: 11614 }) },
  { name: 'variant §3.9 (fixed-interval send): U=123456 alone, no error contents → heartbeat', query: 'U=123456', expected: report({ kind: 'heartbeat' }) },
];

/** §2.2 / §2.5 CGI argument table: one row per argument and what it fills in. */
const ARGUMENTS: ParseRow[] = [
  { name: 'U: registration number of the sender machine (U=123456)', query: 'U=123456', expected: report({ kind: 'heartbeat' }, '123456') },
  { name: 'P: error number (P=341), read in the error content table', query: 'U=123456&P=341', expected: report({ kind: 'error', namespace: ERROR_NAMESPACE, code: '341' }) },
  { name: 'T: user contents instead of P (T=scumming)', query: 'U=123456&T=scumming', expected: report({ kind: 'user-report', text: 'scumming' }) },
  { name: 'E: order code instead of P (E=Type2), read in the order content table', query: 'U=123456&E=Type2&U=2', expected: report({ kind: 'order', code: 'Type2', quantity: 2 }) },
  { name: 'U (after E): the number of parts ordered (E=Type2&U=3 → 3)', query: 'U=123456&E=Type2&U=3', expected: report({ kind: 'order', code: 'Type2', quantity: 3 }) },
  { name: 'TC/BC/CC: total, monochrome and colour sheets output, in any order', query: 'U=123456&CC=11614&TC=46456&BC=34842', expected: report({ kind: 'counters', total: 46456, mono: 34842, colour: 11614 }) },
  // Not in seed 004: FleetRelay's own arguments, from the parser's documented contract.
  { name: 'extension (not in seed 004) C: the condition with that error number cleared (C=341)', query: 'U=123456&C=341', expected: report({ kind: 'cleared', namespace: ERROR_NAMESPACE, code: '341' }) },
  { name: 'extension (not in seed 004) K: the device token instead of a header', query: 'K=tok-1&P=341', expected: report({ kind: 'error', namespace: ERROR_NAMESPACE, code: '341' }, null, 'tok-1') },
  { name: 'extension (not in seed 004) Q: the order quantity said plainly (E=Type2&Q=2)', query: 'U=123456&E=Type2&Q=2', expected: report({ kind: 'order', code: 'Type2', quantity: 2 }) },
];

/** Forms that break the seed's table and must be refused (ReportError, shown on the device's panel). */
const REFUSED: { name: string; query: string }[] = [
  { name: 'refused, §2.2: P and T in one request (message-specific keys replace P: one report each)', query: 'U=123456&P=341&T=scumming' },
  { name: 'refused, §2.2: two error numbers in one request', query: 'U=123456&P=341&P=531' },
  { name: 'refused, §2.2: an error number and counters in one request', query: 'U=123456&P=341&TC=46456&BC=34842&CC=11614' },
  { name: 'refused, §2.2: an empty error number', query: 'U=123456&P=' },
  { name: 'refused, §2.2: an error number that is not a code', query: 'U=123456&P=34%201' },
  { name: 'refused, §2.2: an argument the table does not have', query: 'U=123456&X=1' },
  { name: 'refused, A2: U twice with no order (U is the quantity only after E)', query: 'U=123456&U=654321' },
  { name: 'refused, state 4: blank user contents', query: 'U=123456&T=+++' },
  { name: 'refused, state 5: two orders in one request', query: 'U=123456&E=Type2&U=2&E=Type3' },
  { name: 'refused, state 5: quantity not a number (U=two)', query: 'U=123456&E=Type2&U=two' },
  { name: 'refused, state 5: quantity zero (no parts ordered)', query: 'U=123456&E=Type2&U=0' },
  { name: 'refused, state 5: an order code that is not a code', query: 'U=123456&E=Type%202&U=2' },
  { name: 'refused, state 7: TC without BC and CC', query: 'U=123456&TC=46456' },
  { name: 'refused, state 7: TC and BC without CC', query: 'U=123456&TC=46456&BC=34842' },
  { name: 'refused, state 7: a counter that is not a number', query: 'U=123456&TC=46456&BC=lots&CC=11614' },
  { name: 'refused, state 7: a negative counter', query: 'U=123456&TC=46456&BC=-1&CC=11614' },
  { name: 'refused, extension Q: Q without E', query: 'U=123456&Q=2' },
];

describe('seed 004 preset states 1–7 from their CGI form', () => {
  for (const row of STATES) it(row.name, () => assert.deepEqual(parseCgi(cgi(row.query)), row.expected));
  it('state 6 (update check, Fig. 15) goes to /cgi-bin/cgi.checkupdate, not this parser: its U alone parses as a heartbeat', () => {
    assert.deepEqual(parseCgi(cgi('U=123456')).input, { kind: 'heartbeat' });
  });
});

describe('seed 004 CGI argument table', () => {
  for (const row of ARGUMENTS) it(row.name, () => assert.deepEqual(parseCgi(cgi(row.query)), row.expected));
});

describe('seed 004 CGI form: bad inputs refused', () => {
  for (const row of REFUSED) it(row.name, () => assert.throws(() => parseCgi(cgi(row.query)), ReportError));
});

/**
 * §1.4 / §2.5 error content table and order content table, as the code tables the relay ships
 * with. The kinds are the preset states 1–3; replies are the figures' reply texts (Figs. 6, 8, 10, 14).
 */
const CODE_TABLE: { name: string; namespace: string; code: string; kind: string | null; description: RegExp; reply: string }[] = [
  { name: 'error 341: state 1, toner at or below the predetermined value; reply "toner end" (Fig. 6)', namespace: 'error', code: '341', kind: 'consumable-low', description: /toner.*(less|low)/, reply: 'toner end' },
  { name: 'error 531: state 2, toner bottle should be replaced (Fig. 8)', namespace: 'error', code: '531', kind: 'part-replacement', description: /^toner bottle should be replaced$/, reply: 'toner bottle should be replaced' },
  { name: 'error 784: state 3, abnormal condition in the fixing drum (Fig. 10)', namespace: 'error', code: '784', kind: 'abnormal', description: /^abnormal condition occurred in (the|a) fixing drum$/, reply: 'abnormal condition in fixing drum' },
  { name: 'order Type2: the ordered part is a toner bottle (Figs. 13–14)', namespace: 'order', code: 'Type2', kind: null, description: /^toner bottle$/, reply: 'toner' },
];

/**
 * §2.3 / §2.4 the reply (Figs. 6, 8, 10, 12, 14, 18): what each state's report is answered with
 * (type of contents and the description), after it is parsed from the seed's CGI form.
 */
const REPLY_TABLE: { name: string; query: string; type: string; description: RegExp }[] = [
  { name: 'reply to state 1 (Fig. 6): consumable-low, "toner end"', query: 'U=123456&P=341', type: 'consumable-low', description: /^toner end$/ },
  { name: 'reply to state 2 (Fig. 8): part-replacement, "toner bottle should be replaced"', query: 'U=123456&P=531', type: 'part-replacement', description: /^toner bottle should be replaced$/ },
  { name: 'reply to state 3 (Fig. 10): abnormal, "abnormal condition in fixing drum"', query: 'U=123456&P=784', type: 'abnormal', description: /^abnormal condition in fixing drum$/ },
  { name: 'reply to state 4 (Fig. 12): user-report, the user contents ("scumming")', query: 'U=123456&T=scumming', type: 'user-report', description: /^scumming$/ },
  { name: 'reply to state 5 (Fig. 14): order, "Type2 toner two" (code, part, quantity)', query: 'U=123456&E=Type2&U=2', type: 'order', description: /^Type2 toner\b.*\b(2|two)\b/ },
  { name: 'reply to state 7 (Fig. 18): counters, a description of the number of sheets output', query: 'U=123456&TC=46456&BC=34842&CC=11614', type: 'counters', description: /46456[^]*34842[^]*11614/ },
  { name: 'reply to the §3.9 fixed-interval send: heartbeat, acknowledged', query: 'U=123456', type: 'heartbeat', description: /./ },
];

describe('seed 004 error content and order content tables', () => {
  let store: Store;
  before(async () => {
    store = await testStore();
  });
  after(() => store.close());
  for (const row of CODE_TABLE)
    it(row.name, async () => {
      const c = await store.codes.get(row.namespace, row.code);
      assert.ok(c, `${row.namespace}:${row.code} is in the code tables`);
      assert.equal(c.kind, row.kind);
      assert.match(c.description, row.description);
      assert.equal(c.reply, row.reply);
    });
  it('the namespaces are the error content table and the order content table', () => {
    assert.equal(ERROR_NAMESPACE, 'error');
    assert.equal(ORDER_NAMESPACE, 'order');
  });
});

describe('seed 004 reply to each report (reception time, type of contents, reception number, description)', () => {
  let store: Store;
  let reports: ReportService;
  let device: () => Promise<Device>;
  const clock = new ManualClock(Date.UTC(2026, 2, 19, 10));
  before(async () => {
    store = await testStore();
    const rig = await serviceRig({ clock, store, timeZone: 'UTC' });
    const { s } = rig;
    reports = reportService(rig);
    const CLI: Principal = { kind: 'cli' };
    const made = (await s.devices.provision(CLI, { serial: 'SEED4-1', model: 'MP C3004' })).device;
    await s.devices.update(CLI, made.id, { registrationNumber: REG });
    device = async () => (await store.devices.get(made.id))!;
  });
  after(() => store.close());
  let lastReception = 0;
  for (const row of REPLY_TABLE)
    it(row.name, async () => {
      clock.advance(60_000);
      const parsed = parseCgi(cgi(row.query));
      assert.equal(parsed.registrationNumber, REG);
      const r = await reports.ingest(await device(), parsed.input, 'cgi');
      assert.equal(r.type, row.type);
      assert.match(r.description, row.description);
      assert.equal(r.receivedAt, clock.now(), 'the time of reception');
      assert.ok(Number.isInteger(r.reception) && r.reception > lastReception, 'a new reception number');
      lastReception = r.reception;
    });
});
