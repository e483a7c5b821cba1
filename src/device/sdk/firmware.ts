import { sha256Hex, vendorKey, verifyProgram } from '../../domain/firmware.js';

export type FirmwareOutcome =
  | { kind: 'none' }
  | { kind: 'applied'; version: string; size: number }
  | { kind: 'refused'; version: string; reason: string };

/** The parts of a multipart/mixed reply (the seed's "Next Part"), as raw bytes. */
export function multipartParts(contentType: string, body: Buffer): { headers: string; body: Buffer }[] {
  const m = /boundary=("?)([^";]+)\1/.exec(contentType);
  if (!m) throw new Error('no multipart boundary');
  const delimiter = Buffer.from(`--${m[2]}`);
  const parts: { headers: string; body: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const chunk = body.subarray(start + 2, next - 2); // drop the CRLF after the delimiter and before the next
    const split = chunk.indexOf('\r\n\r\n');
    parts.push({ headers: chunk.subarray(0, split).toString('utf8'), body: chunk.subarray(split + 4) });
    at = next;
  }
  return parts;
}

/**
 * The device's update check (seed 004 state 6) in the seed's form: GET /cgi-bin/cgi.checkupdate
 * with the version it runs. A program in the reply is applied only if its Ed25519 signature
 * verifies with the vendor key the device was provisioned with (`vendorPublicKey`).
 */
export async function checkFirmware(o: {
  relayUrl: string;
  token: string;
  currentVersion: string;
  vendorPublicKey: string;
}): Promise<FirmwareOutcome> {
  const res = await fetch(`${o.relayUrl}/cgi-bin/cgi.checkupdate?V=${encodeURIComponent(o.currentVersion)}`, {
    headers: { authorization: `Bearer ${o.token}` },
    signal: AbortSignal.timeout(120_000),
  });
  const type = res.headers.get('content-type') ?? '';
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`update check failed: ${res.status} ${body.toString('utf8').slice(0, 200)}`);
  if (!type.startsWith('multipart/mixed')) return { kind: 'none' };
  const [info, program] = multipartParts(type, body);
  if (!info || !program) throw new Error('an update reply has two parts');
  const fields = Object.fromEntries(info.body.toString('utf8').split('\r\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const version = fields.version ?? '?';
  if (fields.sha256 !== sha256Hex(program.body)) return { kind: 'refused', version, reason: 'the program does not match its SHA-256' };
  if (!verifyProgram(program.body, fields.signature ?? '', vendorKey(o.vendorPublicKey)))
    return { kind: 'refused', version, reason: 'the signature does not verify with the vendor key' };
  return { kind: 'applied', version, size: program.body.length };
}
