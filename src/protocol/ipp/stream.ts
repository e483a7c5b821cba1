import type { Readable } from 'node:stream';
import { decodeMessage, IppDecodeError, type IppMessage } from './codec.js';

/** A message whose attributes run past the most a reader takes. */
export class IppTooLargeError extends Error {}

/**
 * An IPP message read off a stream (a request's body, or a response's), and the bytes read past
 * its attributes: the document's first ones. The stream is left paused where it was, not
 * destroyed: the document, or what a refusal drains, follows.
 */
export function readHead(stream: Readable, max: number): Promise<{ message: IppMessage; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (settle: () => void): void => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      stream.pause();
      settle();
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const d = decodeMessage(buf);
        if (d) done(() => resolve({ message: d.message, rest: buf.subarray(d.bytes) }));
        else if (buf.length > max) done(() => reject(new IppTooLargeError(`the attributes take more than ${max} bytes`)));
      } catch (err) {
        done(() => reject(err));
      }
    };
    const onEnd = (): void => done(() => reject(new IppDecodeError('the message ends before its end-of-attributes tag', buf.length)));
    const onError = (err: Error): void => done(() => reject(err));
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
