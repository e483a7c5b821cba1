/** What the fax benches do to a socket: write DATA frames as fast as it drains, and wait until so many bytes arrived at the other end. */
import type { Socket } from 'node:net';

export async function pump(s: Socket, frame: Buffer, frames: number): Promise<void> {
  for (let i = 0; i < frames; i++) if (!s.write(frame)) await new Promise((r) => s.once('drain', r));
}

/** Resolves once `bytes` arrived at `sink`. */
export function received(sink: Socket, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    let n = 0;
    sink.removeAllListeners('data');
    sink.on('data', (c: Buffer) => {
      n += c.length;
      if (n >= bytes) resolve();
    });
    sink.resume();
  });
}
