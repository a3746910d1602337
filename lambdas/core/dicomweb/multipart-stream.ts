/**
 * multipart/related bodies read as they arrive (RFC 2046 5.1, PS3.18 8.6.1.2): parts one at a
 * time, each body as a stream of chunks, so a request of any size passes through a buffer of
 * about one chunk. The framing rules are those of splitMultipart: parts end only at
 * CRLF--boundary, a preamble and an epilogue are ignored, part headers are optional and
 * case-insensitive, and the close delimiter may or may not be followed by CRLF.
 */
import { BadRequestError } from '#core/errors.ts';
import type { Part } from './multipart.ts';

export interface StreamedPart {
  headers: Record<string, string>; // lower-case names
  /** The part's bytes; must be read to its end (or `skip`ped) before the next part is asked for. */
  body: AsyncIterable<Buffer>;
}

/** The longest header block read before a part is taken to have none (the whole part is then its body). */
const MAX_HEADER_BYTES = 16 * 1024;

/** A body already in memory, split into parts by the same reader. */
export async function collectMultipart(body: Buffer, boundary: string): Promise<Part[]> {
  const parts: Part[] = [];
  for await (const part of readMultipart([body], boundary)) {
    const chunks: Buffer[] = [];
    for await (const chunk of part.body) chunks.push(chunk);
    parts.push({ headers: part.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
  }
  return parts;
}

export async function* readMultipart(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, boundary: string): AsyncGenerator<StreamedPart> {
  if (!boundary) throw new BadRequestError('multipart/related without a boundary parameter');
  const input = new ChunkReader(source);
  const opening = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.from(`\r\n--${boundary}`);

  // The first delimiter may open the body (no preamble) or follow a CRLF.
  await input.fill(opening.length);
  if (!input.startsWith(opening)) {
    const found = await input.discardUntil(delimiter);
    if (!found) throw new BadRequestError('the body contains no multipart boundary');
    input.consume(2);
  }
  input.consume(opening.length);
  for (;;) {
    await input.fill(2);
    if (input.peek(2).toString('latin1') === '--') {
      await input.drain(); // close delimiter: the epilogue is ignored
      return;
    }
    const lineEnd = await input.indexOfWithin(Buffer.from('\r\n'), 1024);
    if (lineEnd < 0) throw new BadRequestError('multipart boundary line is not terminated by CRLF');
    input.consume(lineEnd + 2);
    const headers = await readHeaders(input, delimiter);
    let ended = false;
    const body = async function* () {
      for (;;) {
        const { chunk, atDelimiter } = await input.readUntil(delimiter);
        if (chunk.length) yield chunk;
        if (atDelimiter) break;
      }
      ended = true;
    };
    const stream = body();
    yield { headers, body: stream };
    if (!ended) for await (const _ of stream); // an unread body is skipped
    input.consume(2); // the CRLF before --boundary; the loop reads the rest of the delimiter line
    input.consume(opening.length);
  }
}

/** Headers up to CRLFCRLF, or none: a part that starts with CRLF, or whose start is not a header line. */
async function readHeaders(input: ChunkReader, delimiter: Buffer): Promise<Record<string, string>> {
  const headers: Record<string, string> = {};
  await input.fill(MAX_HEADER_BYTES);
  const window = input.peek(MAX_HEADER_BYTES);
  const partEnd = window.indexOf(delimiter);
  const head = partEnd < 0 ? window : window.subarray(0, partEnd);
  if (head.subarray(0, 2).toString('latin1') === '\r\n') {
    input.consume(2);
    return headers;
  }
  const headerEnd = head.indexOf('\r\n\r\n');
  if (headerEnd < 0 || !/^[!-9;-~]+:/.test(head.subarray(0, Math.min(head.length, 100)).toString('latin1'))) return headers;
  for (const line of head.subarray(0, headerEnd).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  input.consume(headerEnd + 4);
  return headers;
}

/** A pull reader over an async source with a small look-ahead buffer. */
class ChunkReader {
  private buffer: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly iterator: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : toAsync(source);
  }

  /** Reads until at least `count` bytes are buffered or the source ends. */
  async fill(count: number): Promise<void> {
    while (this.buffer.length < count && !this.done) await this.pull();
  }

  private async pull(): Promise<void> {
    const next = await this.iterator.next();
    if (next.done) {
      this.done = true;
      return;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
  }

  startsWith(bytes: Buffer): boolean {
    return this.buffer.subarray(0, bytes.length).equals(bytes);
  }

  peek(count: number): Buffer {
    return this.buffer.subarray(0, count);
  }

  consume(count: number): void {
    this.buffer = this.buffer.subarray(count);
  }

  async indexOfWithin(bytes: Buffer, limit: number): Promise<number> {
    await this.fill(limit);
    const at = this.buffer.subarray(0, limit).indexOf(bytes);
    return at;
  }

  /** Drops bytes up to (not including) `bytes`; false when the source ends first. */
  async discardUntil(bytes: Buffer): Promise<boolean> {
    for (;;) {
      const at = this.buffer.indexOf(bytes);
      if (at >= 0) {
        this.consume(at);
        return true;
      }
      if (this.done) return false;
      this.consume(Math.max(0, this.buffer.length - bytes.length + 1));
      await this.pull();
    }
  }

  /**
   * The bytes before `delimiter`, as far as they are buffered: the chunk up to the delimiter
   * (left in the buffer), or all but the last delimiter-length bytes, which may begin it.
   */
  async readUntil(delimiter: Buffer): Promise<{ chunk: Buffer; atDelimiter: boolean }> {
    for (;;) {
      const at = this.buffer.indexOf(delimiter);
      if (at >= 0) {
        const chunk = this.buffer.subarray(0, at);
        this.consume(at);
        return { chunk, atDelimiter: true };
      }
      const safe = this.buffer.length - delimiter.length + 1;
      if (safe > 0) {
        const chunk = this.buffer.subarray(0, safe);
        this.consume(safe);
        return { chunk, atDelimiter: false };
      }
      if (this.done) throw new BadRequestError('multipart body has no closing boundary');
      await this.pull();
    }
  }

  async drain(): Promise<void> {
    this.buffer = Buffer.alloc(0);
    while (!this.done) {
      await this.pull();
      this.buffer = Buffer.alloc(0);
    }
  }
}

async function* toAsync(source: Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* source;
}
