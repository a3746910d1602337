/**
 * QIDO-RS query parameters (PS3.18 §8.3.4, Table 8.3.4-1): attributes by keyword or tag, dotted
 * sequence paths, includefield, fuzzymatching, limit and offset. Expected filters, tags and
 * messages are written out here (tags from PS3.6), not taken from the parser's dictionary.
 */
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#core/errors.ts';
import { MAX_MATCH_VALUE_BYTES, parseQidoQuery } from '#core/qido/query-params.ts';

const parse = (query: string) => parseQidoQuery([...new URLSearchParams(query)]);

function refusal(query: string): string {
  try {
    parse(query);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).statusCode).toBe(400);
    return (error as Error).message;
  }
  throw new Error(`expected ${query} to be refused`);
}

const NO_QUERY = { filters: [], includeAll: false, includeFields: [], fuzzy: false, limit: undefined, offset: 0, warnings: [] };

describe('parseQidoQuery — attributes', () => {
  it('gives nothing for an empty query', () => {
    expect(parse('')).toStrictEqual(NO_QUERY);
  });

  it('reads attributes by keyword or by tag (either case), keeping the value as sent', () => {
    expect(parse('PatientName=DOE^J*&0020000d=1.2.3&00080060=CT').filters).toStrictEqual([
      { tag: '00100010', keyword: 'PatientName', vr: 'PN', path: [], value: 'DOE^J*' },
      { tag: '0020000D', keyword: 'StudyInstanceUID', vr: 'UI', path: [], value: '1.2.3' },
      { tag: '00080060', keyword: 'Modality', vr: 'CS', path: [], value: 'CT' },
    ]);
  });

  it('trims the name and reads a dotted name as a sequence path', () => {
    expect(parse(' RequestAttributesSequence.RequestedProcedureID =RP 7').filters).toStrictEqual([
      { tag: '00400275', keyword: 'RequestAttributesSequence', vr: 'SQ', path: [{ tag: '00401001', keyword: 'RequestedProcedureID', vr: 'SH' }], value: 'RP 7' },
    ]);
  });

  it('ignores an unknown attribute, or a path with one unknown part, with a warning naming at most 64 characters of it', () => {
    const long = `X${'y'.repeat(99)}`;
    const query = parse(`NotAKeyword=1&RequestAttributesSequence.NotAKeyword=2&${long}=3&Modality=MR`);
    expect(query.filters).toStrictEqual([{ tag: '00080060', keyword: 'Modality', vr: 'CS', path: [], value: 'MR' }]);
    expect(query.warnings).toStrictEqual([
      'unknown query attribute "NotAKeyword" was ignored',
      'unknown query attribute "RequestAttributesSequence.NotAKeyword" was ignored',
      `unknown query attribute "X${'y'.repeat(63)}" was ignored`,
    ]);
  });

  it('accepts UID lists of valid UIDs, and the universal values', () => {
    for (const value of ['1.2.3', '1.2.3\\1.2.4', '1.2.3,1.2.4', '', '*']) {
      expect(parse(`StudyInstanceUID=${encodeURIComponent(value)}`).filters[0]!.value, value).toBe(value);
    }
  });

  it('refuses a UID list with a value that is not a UID, naming it', () => {
    expect(refusal('StudyInstanceUID=1.2.3,1.2.x')).toBe(
      'StudyInstanceUID="1.2.x" is not a UID list: a UID (PS3.5 9.1) has characters other than digits and single dots between them',
    );
    expect(refusal('SOPInstanceUID=1.2*')).toBe('SOPInstanceUID="1.2*" is not a UID list: a UID (PS3.5 9.1) has characters other than digits and single dots between them');
    expect(refusal(`SeriesInstanceUID=${'1'.repeat(65)}`)).toBe(`SeriesInstanceUID="${'1'.repeat(65)}" is not a UID list: a UID (PS3.5 9.1) is 65 characters long (at most 64)`);
  });

  it('checks a UID at the end of a sequence path, and names at most 64 characters of the path', () => {
    expect(refusal('ReferencedStudySequence.ReferencedSOPInstanceUID=1.2.x')).toBe(
      'ReferencedStudySequence.ReferencedSOPInstanceUID="1.2.x" is not a UID list: a UID (PS3.5 9.1) has characters other than digits and single dots between them',
    );
    const path = 'RequestAttributesSequence.ReferencedStudySequence.ReferencedSOPInstanceUID';
    expect(refusal(`${path}=x`)).toBe(`${path.slice(0, 64)}="x" is not a UID list: a UID (PS3.5 9.1) has characters other than digits and single dots between them`);
    expect(parse('ReferencedStudySequence.ReferencedSOPInstanceUID=1.2.3').filters[0]!.path).toStrictEqual([{ tag: '00081155', keyword: 'ReferencedSOPInstanceUID', vr: 'UI' }]);
  });

  it('accepts other values up to 1024 bytes (the longest index key value) and refuses longer ones, counting bytes', () => {
    expect(MAX_MATCH_VALUE_BYTES).toBe(1024);
    expect(parse(`PatientID=${'A'.repeat(1024)}`).filters[0]!.value).toHaveLength(1024);
    expect(refusal(`PatientID=${'A'.repeat(1025)}`)).toBe('the value of PatientID is longer than 1024 bytes');
    // 513 characters, 1026 bytes in UTF-8.
    expect(refusal(`PatientName=${encodeURIComponent('é'.repeat(513))}`)).toBe('the value of PatientName is longer than 1024 bytes');
    const path = 'RequestAttributesSequence.ScheduledProcedureStepSequence.ScheduledProcedureStepID';
    expect(refusal(`${path}=${'A'.repeat(1025)}`)).toBe(`the value of ${path.slice(0, 64)} is longer than 1024 bytes`);
  });
});

describe('parseQidoQuery — includefield', () => {
  it('collects tags from repeated parameters and comma lists, by keyword or tag, ignoring a sequence path and empty entries', () => {
    const query = parse('includefield=PatientAge, StudyDescription&includefield=00080060,,&includefield=ReferencedStudySequence.ReferencedSOPInstanceUID');
    expect(query.includeFields).toStrictEqual(['00101010', '00081030', '00080060', '00081110']);
    expect(query.includeAll).toBe(false);
    expect(query.warnings).toStrictEqual([]);
  });

  it('reads all (any case) as every attribute', () => {
    expect(parse('includefield=ALL').includeAll).toBe(true);
    expect(parse('includefield=PatientAge,all').includeAll).toBe(true);
    expect(parse('includefield=alls').includeAll).toBe(false);
  });

  it('takes the archive private attribute by tag, in upper case', () => {
    expect(parse('includefield=00091001').includeFields).toStrictEqual(['00091001']);
  });

  it('ignores an unknown field with a warning naming at most 64 characters of it', () => {
    const query = parse(`includefield=NotAKeyword,${'Z'.repeat(80)},PatientAge`);
    expect(query.includeFields).toStrictEqual(['00101010']);
    expect(query.warnings).toStrictEqual(['unknown includefield "NotAKeyword" was ignored', `unknown includefield "${'Z'.repeat(64)}" was ignored`]);
  });

  it('is a control parameter in any case and with spaces around its name, never a filter', () => {
    const query = parse(' IncludeField =PatientAge');
    expect(query.includeFields).toStrictEqual(['00101010']);
    expect(query.filters).toStrictEqual([]);
  });
});

describe('parseQidoQuery — fuzzymatching, limit, offset, accept, charset', () => {
  it('reads fuzzymatching true or false in any case', () => {
    expect(parse('fuzzymatching=true').fuzzy).toBe(true);
    expect(parse('FuzzyMatching=TRUE').fuzzy).toBe(true);
    expect(parse('fuzzymatching=false').fuzzy).toBe(false);
    expect(parse('fuzzymatching=true&fuzzymatching=False').fuzzy).toBe(false);
  });

  it('refuses any other fuzzymatching value', () => {
    for (const value of ['yes', '1', '', 'truex', 'xtrue', 'true false']) {
      expect(refusal(`fuzzymatching=${encodeURIComponent(value)}`), value).toBe('fuzzymatching must be true or false');
    }
  });

  it('reads limit and offset as non-negative integers, each into its own field', () => {
    expect(parse('limit=25')).toStrictEqual({ ...NO_QUERY, limit: 25 });
    expect(parse('offset=40')).toStrictEqual({ ...NO_QUERY, offset: 40 });
    expect(parse('LIMIT=0&Offset=0')).toStrictEqual({ ...NO_QUERY, limit: 0, offset: 0 });
    expect(parse('limit=007&offset=12')).toStrictEqual({ ...NO_QUERY, limit: 7, offset: 12 });
  });

  it('refuses a limit or offset that is not a non-negative integer', () => {
    for (const value of ['-1', '1.5', '', 'ten', 'x10', '10x', '1e3', ' 10']) {
      expect(refusal(`limit=${encodeURIComponent(value)}`), value).toBe('limit must be a non-negative integer');
      expect(refusal(`offset=${encodeURIComponent(value)}`), value).toBe('offset must be a non-negative integer');
    }
  });

  it('leaves accept and charset to the handler: neither a filter nor a warning', () => {
    expect(parse('accept=application/dicom%2Bjson&charset=utf-8&Accept=x')).toStrictEqual(NO_QUERY);
  });
});
