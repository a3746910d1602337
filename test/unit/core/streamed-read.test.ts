import { describe, expect, it } from 'vitest';
import { offsetTableOf } from '#core/dicom/frames.ts';
import { PixelDataScanner } from '#core/dicom/pixel-data-scanner.ts';
import { readInstance, readInstanceHead, withPixelData } from '#core/dicom/read-instance.ts';
import { TransferSyntax } from '#core/dicom/tags.ts';
import { fixture, fixtureNames } from '#test/helpers/dicom.ts';

/** Reads `bytes` as a streamed ingest does: header from the first bytes, the rest through the scanner in `chunk`-byte pieces. */
function readStreamed(bytes: Buffer, chunk: number) {
  const { instance, pixelStart } = readInstanceHead(bytes);
  if (!pixelStart) return { parsed: instance, offsetTable: undefined };
  const scanner = new PixelDataScanner(pixelStart);
  for (let at = 0; at < bytes.length; at += chunk) scanner.update(bytes.subarray(at, at + chunk), at);
  const scanned = scanner.finish(bytes.length);
  return { parsed: withPixelData(instance, scanned.pixelData, scanned.tagsAfterPixelData), offsetTable: scanned.offsetTable };
}

const readable = fixtureNames().filter((name) => {
  try {
    const parsed = readInstance(fixture(name));
    return parsed.transferSyntaxUID !== TransferSyntax.DeflatedExplicitVRLittleEndian && parsed.structure.pixelData !== undefined;
  } catch {
    return false;
  }
});

describe('Reading an instance as it streams (header first, then the Pixel Data scanned)', () => {
  it('covers native and encapsulated fixtures', () => {
    const kinds = new Set(readable.map((name) => readInstance(fixture(name)).structure.pixelData!.encapsulated));
    expect(kinds).toEqual(new Set([true, false]));
  });

  for (const name of readable) {
    it(`gives what reading ${name} whole gives, in any chunking`, () => {
      const bytes = fixture(name);
      const whole = readInstance(bytes);
      for (const chunk of [1, 7, 4096, bytes.length]) {
        const { parsed, offsetTable } = readStreamed(bytes, chunk);
        expect(parsed).toEqual(whole);
        expect(offsetTable).toEqual(offsetTableOf(bytes, whole.structure.pixelData!));
      }
    });
  }

  it('refuses a file cut inside its Pixel Data, as the whole-file reader does', () => {
    for (const name of readable) {
      const bytes = fixture(name);
      const pixel = readInstance(bytes).structure.pixelData!;
      const cut = bytes.subarray(0, pixel.offset + Math.floor(pixel.length / 2));
      expect(() => readInstance(cut)).toThrow(/truncated/);
      expect(() => readStreamed(cut, 1000)).toThrow(/truncated/);
    }
  });
});
