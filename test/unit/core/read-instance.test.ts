import { describe, expect, it } from 'vitest';
import { DicomParseError } from '#core/errors.ts';
import { readInstance } from '#core/dicom/read-instance.ts';
import { FailureReason } from '#core/dicomweb/status-codes.ts';
import { CT_SMALL, fixture } from '#test/helpers/dicom.ts';

function reasonFor(bytes: Buffer): number | undefined {
  try {
    readInstance(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DicomParseError);
    return (error as DicomParseError).failureReason;
  }
  return undefined;
}

describe('Reading a Part 10 instance for storage', () => {
  it('reads the transfer syntax, the four UIDs and the attributes of a valid file', () => {
    const parsed = readInstance(fixture(CT_SMALL.file));
    expect(parsed).toMatchObject({
      transferSyntaxUID: '1.2.840.10008.1.2.1',
      sopClassUID: '1.2.840.10008.5.1.4.1.1.2',
      studyInstanceUID: CT_SMALL.study,
      seriesInstanceUID: CT_SMALL.series,
      sopInstanceUID: CT_SMALL.sop,
    });
    expect(parsed.dataset['00080060']).toEqual({ vr: 'CS', Value: ['CT'] });
    expect(parsed.dataset['7FE00010']).toEqual({ vr: 'OW', BulkDataURI: 'bulkdata/7FE00010' });
  });

  it('refuses a file without the DICM prefix with 0xC000', () => {
    expect(reasonFor(fixture('no_meta.dcm'))).toBe(FailureReason.CannotUnderstand);
    expect(reasonFor(Buffer.from('not dicom at all'))).toBe(FailureReason.CannotUnderstand);
  });

  it('refuses a truncated file with 0xC000', () => {
    const whole = fixture(CT_SMALL.file);
    expect(reasonFor(whole.subarray(0, whole.length - 100))).toBe(FailureReason.CannotUnderstand);
  });
});
