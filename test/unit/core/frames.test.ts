import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { encapsulatedFrames, frameFromSpan, frameRanges, offsetTableOf, pixelGeometryProblem } from '#core/dicom/frames.ts';
import { imagePixelAttributes } from '#core/dicom/pixel-format.ts';
import { readInstance } from '#core/dicom/read-instance.ts';
import { fixture } from '#test/helpers/dicom.ts';

describe('Frame positions recorded at ingest', () => {
  for (const name of ['SC_rgb_rle_2frame.dcm', 'SC_rgb_rle_32bit_2frame.dcm', 'MR_small.dcm', 'JPEG2000.dcm', 'rtdose_rle.dcm']) {
    it(`give the same frames as reading ${name} whole, one span per frame`, () => {
      const bytes = fixture(name);
      const parsed = readInstance(bytes);
      const format = imagePixelAttributes(parsed.dataset);
      const ranges = frameRanges(offsetTableOf(bytes, parsed.structure.pixelData!), parsed.structure.pixelData!, format, format.frames);
      expect(ranges).toHaveLength(format.frames);
      const fromSpans = ranges.map((pieces) => {
        const start = pieces[0]![0];
        const [lastOffset, lastLength] = pieces.at(-1)!;
        return frameFromSpan(bytes.subarray(start, lastOffset + lastLength), pieces);
      });
      // The reference is cut by dcmjs, independently of Strata's frame code: one buffer per
      // encapsulated frame, in order; one buffer of all native frames.
      const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
      const reference = (file.dict['7FE00010']!.Value as ArrayBuffer[]).map((frame) => Buffer.from(frame));
      if (parsed.structure.pixelData!.encapsulated) {
        expect(fromSpans).toEqual(reference);
        expect(encapsulatedFrames(bytes, parsed.structure.pixelData!, format.frames)).toEqual(reference);
      } else {
        expect(Buffer.concat(fromSpans)).toEqual(reference[0]);
      }
    });
  }
});

describe('Pixel geometry checked at ingest', () => {
  const format = { rows: 64, columns: 64, samplesPerPixel: 1, bitsAllocated: 8, frames: 2 } as Parameters<typeof pixelGeometryProblem>[1];

  it('warns when the encapsulated Pixel Data holds fewer fragments than NumberOfFrames', () => {
    const oneFragment = { offset: 0, length: 100, encapsulated: true, offsetTable: [], fragments: [{ offset: 8, length: 92 }] } as unknown as Parameters<typeof pixelGeometryProblem>[0];
    expect(pixelGeometryProblem(oneFragment, format, 2)).toContain('NumberOfFrames is 2 but its Pixel Data holds 1 (1 fragments)');
  });

  it('says nothing of encapsulated Pixel Data whose fragments were not read (an upload indexed from its header)', () => {
    const unread = { offset: 0, length: 100, encapsulated: true } as unknown as Parameters<typeof pixelGeometryProblem>[0];
    expect(pixelGeometryProblem(unread, format, 2)).toBeUndefined();
    // Native Pixel Data is always checked: its length is known from the header.
    const native = { offset: 0, length: 64 * 64, encapsulated: false } as unknown as Parameters<typeof pixelGeometryProblem>[0];
    expect(pixelGeometryProblem(native, format, 2)).toContain('holds 1');
  });
});
