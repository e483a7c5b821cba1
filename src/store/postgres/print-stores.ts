import { ConflictError } from '../store.js';
import type { JobState } from '../../domain/print.js';
import type { Store } from '../store.js';
import { decodeCursor, encodeCursor, str, toDevice, toJob, toOpenJob, toPage, toPrinter } from '../rows.js';
import { ts, type PgSql } from './sql.js';
import { where } from '../where.js';

/** Printers' accepting-jobs and status, print jobs and every state they passed through. */
export function printStores(q: PgSql): Pick<Store, 'print'> {
  const { one, all, run, first, tx } = q;

  return {
    print: {
      async printer(deviceId) {
        const r = await one(`SELECT * FROM printers WHERE device_id = ?`, deviceId);
        return r ? toPrinter(deviceId, r, Number(r.updated_at)) : null;
      },
      async printers(f) {
        const scope = where([['d.account_id = ?', f.accountId]]);
        const w = where([['d.account_id = ?', f.accountId], ['d.id > ?', f.cursor === undefined ? undefined : decodeCursor(f.cursor)]]);
        const rows = await all(
          `SELECT d.*, p.accepting, p.status, p.updated_at AS printer_updated_at, p.allowed_senders
           FROM printers p JOIN devices d ON d.id = p.device_id ${w.clause} ORDER BY d.id LIMIT ?`,
          ...w.params,
          f.limit + 1,
        );
        const items = rows.slice(0, f.limit).map((r) => ({ device: toDevice(r), state: toPrinter(String(r.id), r, Number(r.printer_updated_at)) }));
        const last = items[items.length - 1];
        const total = Number((await one(`SELECT COUNT(*) AS n FROM printers p JOIN devices d ON d.id = p.device_id ${scope.clause}`, ...scope.params))!.n);
        return { items, nextCursor: rows.length > f.limit && last ? encodeCursor(last.device.id) : null, total };
      },
      async setPrinter(p) {
        await run(
          `INSERT INTO printers (device_id, accepting, status, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (device_id) DO UPDATE SET accepting = excluded.accepting, status = excluded.status, updated_at = excluded.updated_at`,
          p.deviceId, p.accepting, p.status, ts(p.updatedAt),
        );
      },
      async insertJob(j, openNumber) {
        await tx(async (t) => {
          await t.run(
            `INSERT INTO jobs (id, device_id, account_id, state, name, document_type, document_size, document_sha256, ticket, source, created_by, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            j.id, j.deviceId, j.accountId, j.state, j.name, j.documentType, j.documentSize, j.documentSha256, JSON.stringify(j.ticket), j.source, j.createdBy, ts(j.createdAt), ts(j.updatedAt),
          );
          await t.run(`INSERT INTO job_events (job_id, at, state, detail) VALUES (?, ?, ?, ?)`, j.id, ts(j.createdAt), j.state, `created by ${j.createdBy} via ${j.source}`);
          if (openNumber === undefined) await t.run(`INSERT INTO job_numbers (job_id) VALUES (?)`, j.id);
          else if ((await t.run(`UPDATE job_numbers SET job_id = ? WHERE number = ? AND job_id IS NULL`, j.id, openNumber)) !== 1) throw new ConflictError(`job ${openNumber} is no longer open`);
          else await t.run(`DELETE FROM open_jobs WHERE number = ?`, openNumber);
        });
      },
      async openJob(o) {
        return tx(async (t) => {
          const number = Number((await t.one(`INSERT INTO job_numbers (job_id) VALUES (NULL) RETURNING number`))!.number);
          await t.run(
            `INSERT INTO open_jobs (number, device_id, account_id, name, ticket, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
            number, o.deviceId, o.accountId, o.name, JSON.stringify(o.ticket), o.createdBy, ts(o.createdAt),
          );
          return number;
        });
      },
      async openJobByNumber(n) {
        return first(toOpenJob, `SELECT * FROM open_jobs WHERE number = ?`, n);
      },
      async openJobs(deviceId, limit) {
        return (await all(`SELECT * FROM open_jobs WHERE device_id = ? ORDER BY number DESC LIMIT ?`, deviceId, limit)).map(toOpenJob);
      },
      async dropOpenJob(n) {
        return (await run(`DELETE FROM job_numbers WHERE number = ? AND job_id IS NULL`, n)) === 1;
      },
      async dropOpenJobsBefore(before) {
        return run(`DELETE FROM job_numbers WHERE job_id IS NULL AND (number IN (SELECT number FROM open_jobs WHERE created_at < ?) OR number NOT IN (SELECT number FROM open_jobs))`, ts(before));
      },
      async job(id) {
        return first(toJob, `SELECT * FROM jobs WHERE id = ?`, id);
      },
      async jobNumbers(ids) {
        if (ids.length === 0) return new Map();
        const rows = await all(`SELECT job_id, number FROM job_numbers WHERE job_id = ANY(?::text[])`, ids);
        return new Map(rows.map((r) => [String(r.job_id), Number(r.number)]));
      },
      async jobByNumber(n) {
        return first(toJob, `SELECT j.* FROM job_numbers n JOIN jobs j ON j.id = n.job_id WHERE n.number = ?`, n);
      },
      async transition(id, from, to, at, detail) {
        return tx(async (t) => {
          // Compare-and-set on the state: of two transitions at once, the second re-reads the row once the first commits.
          if ((await t.run(`UPDATE jobs SET state = ?, updated_at = ? WHERE id = ? AND state = ANY(?::text[])`, to, ts(at), id, [...from])) !== 1) return false;
          await t.run(`INSERT INTO job_events (job_id, at, state, detail) VALUES (?, ?, ?, ?)`, id, ts(at), to, detail ?? null);
          return true;
        });
      },
      async setAllowedSenders(deviceId, senders) {
        await run(
          `INSERT INTO printers (device_id, accepting, updated_at, allowed_senders) VALUES (?, false, to_timestamp(0), ?)
           ON CONFLICT (device_id) DO UPDATE SET allowed_senders = excluded.allowed_senders`,
          deviceId, senders ? JSON.stringify(senders) : null,
        );
      },
      async insertPage(p, tokenHash, cancelHash) {
        await run(
          `INSERT INTO print_pages (id, token_hash, cancel_hash, device_id, account_id, sender, subject, files, job_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          p.id, tokenHash, cancelHash, p.deviceId, p.accountId, p.sender, p.subject, JSON.stringify(p.files), p.jobId, ts(p.createdAt), ts(p.expiresAt),
        );
      },
      async pageByTokenHash(hash) {
        return first(toPage, `SELECT * FROM print_pages WHERE token_hash = ?`, hash);
      },
      async pageByCancelHash(hash) {
        return first(toPage, `SELECT * FROM print_pages WHERE cancel_hash = ?`, hash);
      },
      async setPageJob(pageId, jobId) {
        await run(`UPDATE print_pages SET job_id = ? WHERE id = ?`, jobId, pageId);
      },
      async pages(deviceId, limit) {
        return (await all(`SELECT * FROM print_pages WHERE device_id = ? ORDER BY created_at DESC LIMIT ?`, deviceId, limit)).map(toPage);
      },
      async markDocumentDeleted(id) {
        await run(`UPDATE jobs SET document_deleted = true WHERE id = ?`, id);
      },
      async events(id) {
        return (await all(`SELECT at, state, detail FROM job_events WHERE job_id = ? ORDER BY id`, id)).map((r) => ({ at: Number(r.at), state: r.state as JobState, detail: str(r.detail) }));
      },
      async queuedJobs(deviceId, states) {
        const n = await first(
          (r) => Number(r.n),
          `SELECT (SELECT COUNT(*) FROM jobs WHERE device_id = ? AND state IN (${states.map(() => '?').join(', ')})) + (SELECT COUNT(*) FROM open_jobs WHERE device_id = ?) AS n`,
          deviceId, ...states, deviceId,
        );
        return n ?? 0;
      },
      async lastEventSeq() {
        return Number((await first((r) => r.seq, `SELECT COALESCE(MAX(id), 0) AS seq FROM job_events`)) ?? 0);
      },
      async printerEvents(deviceId, since, limit) {
        // A job with an event from `since` on was touched at or after that event (a minute's grace for nodes' clocks).
        const rows = await all(
          `SELECT e.id AS seq, e.job_id, e.state, e.at, n.number FROM jobs j JOIN job_events e ON e.job_id = j.id AND e.id >= ? JOIN job_numbers n ON n.job_id = j.id
           WHERE j.device_id = ? AND j.updated_at >= COALESCE((SELECT at FROM job_events WHERE id >= ? ORDER BY id LIMIT 1), 'infinity') - interval '60 seconds'
           ORDER BY e.id LIMIT ?`,
          since, deviceId, since, limit,
        );
        return rows.map((r) => ({ seq: Number(r.seq), jobId: String(r.job_id), number: Number(r.number), state: r.state as JobState, at: Number(r.at) }));
      },
      async firstUnfetchedEvent(deviceId) {
        const seq = await first((r) => r.seq, `SELECT MIN(e.id) AS seq FROM jobs j JOIN job_events e ON e.job_id = j.id WHERE j.device_id = ? AND j.state IN ('pending', 'notified')`, deviceId);
        return seq === null || seq === undefined ? null : Number(seq);
      },
      async jobs(f) {
        const w = where([
          ['account_id = ?', f.accountId],
          ['device_id = ?', f.deviceId],
          ['id < ?', f.cursor],
          ['state = ANY(?::text[])', f.states?.length ? [...f.states] : undefined],
        ]);
        return (await all(`SELECT * FROM jobs ${w.clause} ORDER BY id DESC LIMIT ?`, ...w.params, f.limit)).map(toJob);
      },
      async staleJobs(before, limit) {
        return (
          await all(`SELECT * FROM jobs WHERE NOT document_deleted AND state NOT IN ('completed', 'canceled', 'aborted') AND updated_at < ? ORDER BY updated_at LIMIT ?`, ts(before), limit)
        ).map(toJob);
      },
      async keptDocuments(before, limit) {
        return (await all(`SELECT id FROM jobs WHERE NOT document_deleted AND state = 'completed' AND updated_at < ? ORDER BY updated_at LIMIT ?`, ts(before), limit)).map((r) => String(r.id));
      },
    },
  };
}
