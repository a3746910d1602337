/**
 * Large synthetic multi-frame instances generated on the fly (nothing is written to disk): the
 * header of a real CT fixture with new UIDs and NumberOfFrames, then native Pixel Data produced
 * chunk by chunk, hashed as it is produced so a test can compare what it retrieves.
 */
import { createHash, randomBytes } from 'node:crypto';
import { synthesize } from './synthetic.ts';

const FRAME_BYTES = 128 * 128 * 2; // CT_small: 128 × 128, 16 bits allocated
const BLOCK = randomBytes(1024 * 1024);

export interface LargeInstance {
  sop: string;
  size: number;
  /** The instance's bytes, produced as read; `sha256()` is known once they have all been read. */
  chunks(): AsyncGenerator<Buffer>;
  sha256(): string;
}

export function largeInstance(study: string, series: string, index: number, bytes: number): LargeInstance {
  const frames = Math.max(1, Math.floor(bytes / FRAME_BYTES));
  const sop = `${series}.${index + 1}`;
  const header = synthesize('CT_small.dcm', { study, series, sop, instanceNumber: index + 1, remove: ['7FE00010'], extra: { '00280008': ['IS', String(frames)] } });
  const pixelLength = frames * FRAME_BYTES;
  const element = Buffer.alloc(12);
  element.writeUInt16LE(0x7fe0, 0);
  element.writeUInt16LE(0x0010, 2);
  element.write('OW', 4, 'latin1');
  element.writeUInt32LE(pixelLength, 8);
  let digest: string | undefined;
  return {
    sop,
    size: header.length + element.length + pixelLength,
    sha256: () => digest ?? (() => { throw new Error('not read yet'); })(),
    async *chunks() {
      const hash = createHash('sha256');
      const emit = (chunk: Buffer) => (hash.update(chunk), chunk);
      yield emit(Buffer.concat([header, element]));
      for (let left = pixelLength, n = 0; left > 0; n++) {
        const block = Buffer.from(BLOCK.subarray(0, Math.min(left, BLOCK.length)));
        block.writeUInt32LE(n, 0); // every megabyte differs
        block.writeUInt32LE(index, 4); // every instance differs
        left -= block.length;
        yield emit(block);
      }
      digest = hash.digest('hex');
    },
  };
}

/** A STOW-RS body of `instances`, generated as it is read. */
export async function* stowStream(instances: LargeInstance[], boundary: string, cutAfterBytes = Infinity): AsyncGenerator<Buffer> {
  let sent = 0;
  for (const instance of instances) {
    yield Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
    for await (const chunk of instance.chunks()) {
      if (sent + chunk.length > cutAfterBytes) {
        yield chunk.subarray(0, cutAfterBytes - sent);
        return;
      }
      sent += chunk.length;
      yield chunk;
    }
    yield Buffer.from('\r\n');
  }
  yield Buffer.from(`--${boundary}--\r\n`);
}
