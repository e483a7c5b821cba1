import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/** Streams a CSV of lines as a download; the first line is taken before anything is sent, so a generator that checks its input fails as an error answer. */
export async function sendCsv(reply: FastifyReply, lines: AsyncGenerator<string>, filename: string): Promise<FastifyReply> {
  const header = await lines.next();
  const body = Readable.from((async function* () {
    if (!header.done) yield header.value;
    yield* lines;
  })());
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename.replace(/[^\x20-\x7e]|"/g, '')}"`).send(body);
}
