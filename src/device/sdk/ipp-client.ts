import { request, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { attr, encodeMessage, GROUP, TAG, type IppAttribute, type IppGroup, type IppMessage } from '../../protocol/ipp/codec.js';
import { readHead } from '../../protocol/ipp/stream.js';

/** The most of an answer's attributes a device reads. */
const MAX_ANSWER = 1024 * 1024;

export interface IppAnswer {
  message: IppMessage;
  /** What follows the attributes (Fetch-Document's document), paused; read it or destroy it. */
  document: Readable;
}

/**
 * IPP as an output device speaks it to the relay (INFRA, PWG 5100.18): requests to its printer's
 * URI with its device token as the Basic password. Each call is bounded by `timeoutMs` up to its
 * answer's attributes; the document after them is the caller's to read.
 */
export class IppDeviceClient {
  private requestId = 0;
  private readonly open = new Set<ClientRequest>();

  constructor(private readonly o: { printerUrl: string; deviceId: string; token: string }) {}

  /** The value of an attribute in a message's group (the operation group by default). */
  static value(m: IppMessage, name: string, group: number = GROUP.operation): unknown {
    return attr(m, group, name)?.values[0]?.value;
  }

  /** Ends every request under way (a long-poll held by the relay, a download). */
  close(): void {
    for (const req of this.open) req.destroy(new Error('closed'));
  }

  /** A request and its answer's attributes. */
  async ask(code: number, attributes: IppAttribute[], groups: IppGroup[] = [], timeoutMs = 10_000): Promise<IppMessage> {
    const a = await this.call(code, attributes, groups, timeoutMs);
    a.document.resume();
    return a.message;
  }

  /** A request whose answer carries a document after its attributes (Fetch-Document). */
  call(code: number, attributes: IppAttribute[], groups: IppGroup[] = [], timeoutMs = 10_000): Promise<IppAnswer> {
    const url = new URL(this.o.printerUrl);
    const body = encodeMessage({
      version: { major: 2, minor: 0 },
      code,
      requestId: ++this.requestId,
      groups: [
        {
          tag: GROUP.operation,
          attributes: [
            { name: 'attributes-charset', values: [{ tag: TAG.charset, value: 'utf-8' }] },
            { name: 'attributes-natural-language', values: [{ tag: TAG.naturalLanguage, value: 'en' }] },
            { name: 'printer-uri', values: [{ tag: TAG.uri, value: `${url.protocol === 'https:' ? 'ipps' : 'ipp'}://${url.host}${url.pathname}` }] },
            ...attributes,
          ],
        },
        ...groups,
      ],
    });
    const auth = `Basic ${Buffer.from(`${this.o.deviceId}:${this.o.token}`).toString('base64')}`;
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : request)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/ipp', 'content-length': body.length, authorization: auth },
        timeout: timeoutMs,
      });
      this.open.add(req);
      req.on('close', () => this.open.delete(req));
      req.on('timeout', () => req.destroy(new Error(`no IPP answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`IPP request refused: HTTP ${res.statusCode}`));
        }
        readHead(res, MAX_ANSWER).then(({ message, rest }) => {
          req.setTimeout(0);
          if (rest.length) res.unshift(rest);
          resolve({ message, document: res });
        }, reject);
      });
      req.end(body);
    });
  }
}
