/**
 * The first bytes of a streamed part, held until either the part ends (a whole instance in
 * memory, stored as one object) or `limit` bytes are held (a large instance: its header is
 * read from these bytes, and the rest streams on).
 */
export type SpooledPart =
  | { whole: true; bytes: Buffer }
  | { whole: false; prefix: Buffer; rest: AsyncIterator<Buffer> };

export async function spoolPart(body: AsyncIterable<Buffer>, limit: number): Promise<SpooledPart> {
  const iterator = body[Symbol.asyncIterator]();
  const held: Buffer[] = [];
  let size = 0;
  while (size < limit) {
    const next = await iterator.next();
    if (next.done) return { whole: true, bytes: held.length === 1 ? held[0]! : Buffer.concat(held) };
    held.push(next.value);
    size += next.value.length;
  }
  return { whole: false, prefix: Buffer.concat(held), rest: iterator };
}

/** Reads a part's remaining bytes to nowhere (a refused part must still be read past). */
export async function discardRest(rest: AsyncIterator<Buffer>): Promise<void> {
  while (!(await rest.next()).done);
}
