#!/usr/bin/env node
/**
 * Greps relay logs for secrets: tokens (fra_, frd_, frp_), capability URLs (/claim/, /register/,
 * /print/ control pages), K= in CGI query strings, cancel addresses. The patterns are the relay's
 * own redaction list (src/services/kernel/redact.ts), so the relay and this check never disagree.
 *
 *   FLEETRELAY_TEST_LOG_DIR=/tmp/relay-logs npm test && node scripts/check-log-secrets.mjs /tmp/relay-logs
 *
 * Exit 0: no secret found; 1: secrets found (each printed with its file and line); 2: nothing to check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const { SECRET_IN_LOG } = await import(new URL('../dist/src/services/kernel/redact.js', import.meta.url).href);
const dir = process.argv[2] ?? process.env.FLEETRELAY_TEST_LOG_DIR;
if (!dir) {
  console.error('usage: check-log-secrets.mjs <folder of relay logs> (or set FLEETRELAY_TEST_LOG_DIR)');
  process.exit(2);
}
const files = readdirSync(dir).filter((f) => f.endsWith('.log'));
let lines = 0;
const found = [];
for (const f of files) {
  readFileSync(join(dir, f), 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line) return;
      lines++;
      const m = SECRET_IN_LOG.exec(line);
      if (m) found.push(`${f}:${i + 1}: …${line.slice(Math.max(0, m.index - 60), m.index + 80)}…`);
    });
}
if (lines === 0) {
  console.error(`no log lines in ${dir}: nothing was checked`);
  process.exit(2);
}
if (found.length) {
  console.error(`${found.length} log line(s) in ${dir} carry a secret:\n${found.slice(0, 50).join('\n')}`);
  process.exit(1);
}
console.log(`checked ${lines} log lines in ${files.length} files under ${dir}: no secrets`);
