import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { NotAcceptableError } from '#core/errors.ts';
import { toExplicitLittleEndian } from '#core/dicom/transcode.ts';
import { fixture, sha256 } from '#test/helpers/dicom.ts';

function pixelsAndSyntax(bytes: Buffer): { pixels: string; syntax: string; name: unknown } {
  const file = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  return {
    pixels: sha256(Buffer.from(file.dict['7FE00010']!.Value![0] as ArrayBuffer)),
    syntax: String(file.meta['00020010']!.Value![0]),
    name: file.dict['00100010']?.Value?.[0],
  };
}

describe('Conversion to Explicit VR Little Endian', () => {
  const reference = pixelsAndSyntax(fixture('MR_small.dcm'));

  for (const source of ['MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'MR_small_RLE.dcm', 'MR_small_jpeg_ls_lossless.dcm', 'MR_small_jp2klossless.dcm']) {
    it(`turns ${source} into Explicit VR Little Endian with the same pixels as MR_small.dcm`, async () => {
      const converted = pixelsAndSyntax(await toExplicitLittleEndian(fixture(source)));
      expect(converted.syntax).toBe('1.2.840.10008.1.2.1');
      expect(converted.pixels).toBe(reference.pixels);
      expect(converted.name).toEqual(reference.name);
    });
  }

  it('decodes RLE colour frames to interleaved RGB', async () => {
    const converted = dcmjs.data.DicomMessage.readFile((await toExplicitLittleEndian(fixture('SC_rgb_rle_2frame.dcm'))).buffer as ArrayBuffer);
    const pixels = converted.dict['7FE00010']!.Value![0] as ArrayBuffer;
    expect(pixels.byteLength).toBe(100 * 100 * 3 * 2);
    expect(Buffer.from(pixels).subarray(0, 3)).toEqual(Buffer.from([255, 0, 0])); // the sample image starts red
  });

  it('decodes JPEG baseline with the 8-bit codec', async () => {
    const converted = pixelsAndSyntax(await toExplicitLittleEndian(fixture('SC_rgb_jpeg_dcmtk.dcm')));
    expect(converted.syntax).toBe('1.2.840.10008.1.2.1');
  });

  it('answers 406 for a compression it cannot decode', async () => {
    await expect(toExplicitLittleEndian(fixture('JPEG-lossy.dcm'))).rejects.toBeInstanceOf(NotAcceptableError);
  });

  it('returns Explicit VR Little Endian input unchanged', async () => {
    const bytes = fixture('CT_small.dcm');
    expect(await toExplicitLittleEndian(bytes)).toBe(bytes);
  });
});
