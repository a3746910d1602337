import { describe, expect, it } from 'vitest';
import { readInstance } from '#core/dicom/read-instance.ts';
import { uidProblem } from '#core/dicom/uid.ts';
import { DicomParseError } from '#core/errors.ts';
import { minimal, patchBytes } from '#test/helpers/synthetic.ts';

const UIDS = { study: '2.25.1', series: '2.25.1.2', sop: '2.25.1.2.3' };

function refusal(bytes: Buffer): DicomParseError {
  try {
    readInstance(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DicomParseError);
    return error as DicomParseError;
  }
  throw new Error('the instance was accepted');
}

describe('Function: uidProblem (PS3.5 9.1)', () => {
  it('It should accept digits separated by single dots up to 64 characters', () => {
    expect(uidProblem('1.2.840.10008.5.1.4.1.1.2')).toBeUndefined();
    expect(uidProblem(`1.${'2'.repeat(62)}`)).toBeUndefined();
  });

  it('It should name what is wrong with anything else', () => {
    expect(uidProblem('')).toBe('is empty');
    expect(uidProblem(`1.${'2'.repeat(63)}`)).toMatch(/65 characters long/);
    for (const bad of ['1.2.3x', '1.2/3.4', '..', '1..2', '.1.2', '1.2.', ' 1.2', '1.2\\1.3', '１.２']) expect(uidProblem(bad), bad).toMatch(/digits/);
  });
});

describe('Function: readInstance — identifying UIDs', () => {
  it('It should read the UIDs as written rather than as a lenient parser cleans them', () => {
    const forged = patchBytes(minimal(UIDS), '2.25.1.2.3', '2.25.1.2.x');
    const error = refusal(forged);
    expect(error.failureReason).toBe(0xa900);
    expect(error.message).toMatch(/SOPInstanceUID \(0008,0018\) "2\.25\.1\.2\.x"/);
  });

  it('It should identify an instance by its file meta when the dataset lacks the SOP Class UID, with warning 0xB007', () => {
    const parsed = readInstance(minimal({ ...UIDS, remove: ['00080016'] }));
    expect(parsed.sopClassUID).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(parsed.dataset['00080016']).toEqual({ vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.7'] });
    expect(parsed.warnings).toEqual([{ reason: 0xb007, message: expect.stringMatching(/no SOPClassUID \(0008,0016\).*file meta's \(0002,0002\)/) }]);
  });

  it('It should take the SOP Instance UID from the file meta when the dataset has none', () => {
    const parsed = readInstance(minimal({ ...UIDS, remove: ['00080018'] }));
    expect(parsed.sopInstanceUID).toBe(UIDS.sop);
    expect(parsed.warnings.map((w) => w.reason)).toEqual([0xb007]);
  });

  it('It should refuse an instance without a Study or Series Instance UID, which have no fallback', () => {
    expect(refusal(minimal({ ...UIDS, remove: ['0020000D'] })).message).toMatch(/StudyInstanceUID \(0020,000D\)/);
    expect(refusal(minimal({ ...UIDS, remove: ['0020000E'] })).message).toMatch(/SeriesInstanceUID \(0020,000E\)/);
  });

  it('It should refuse an instance when neither the dataset nor the file meta gives the SOP Class UID', () => {
    const bytes = minimal({ ...UIDS, remove: ['00080016'], removeMeta: ['00020002'] });
    expect(refusal(bytes).message).toMatch(/neither the dataset's SOPClassUID \(0008,0016\) nor the file meta \(0002,0002\)/);
  });
});

describe('Function: readInstance — elements the value parser cannot read', () => {
  it('It should keep the UIDs as written and warn with 0xB006 naming what the index lacks, never drop it silently', () => {
    // A private undefined-length UN sequence before PatientName: dcmjs stops reading there.
    const creator = Buffer.concat([Buffer.from([0x09, 0x00, 0x10, 0x00, 0x4c, 0x4f, 4, 0]), Buffer.from('ACME')]);
    const item = [0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff, 0x08, 0x00, 0x00, 0x01, 2, 0, 0, 0, 0x58, 0x20, 0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0];
    const sequence = Buffer.from([0x09, 0x00, 0x10, 0x10, 0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff, ...item, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
    const file = minimal({ ...UIDS, patientName: 'HIDDEN^PATIENT', patientId: 'HID-77' });
    const at = file.indexOf(Buffer.from([0x10, 0x00, 0x10, 0x00, 0x50, 0x4e]));
    const parsed = readInstance(Buffer.concat([file.subarray(0, at), creator, sequence, file.subarray(at)]));
    expect(parsed.studyInstanceUID).toBe(UIDS.study);
    expect(parsed.dataset['0020000D']).toEqual({ vr: 'UI', Value: [UIDS.study] });
    expect(parsed.warnings).toEqual([
      { reason: 0xb006, message: '3 element(s) could not be read into the index and metadata ((0009,1010), (0010,0010), (0010,0020)); the stored object is intact' },
    ]);
  });
});
