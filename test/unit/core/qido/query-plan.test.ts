/**
 * Which designed key a QIDO-RS search uses (docs/data-model.md, "Access patterns"): a UID list is a
 * BatchGetItem, AccessionNumber gsi2, PatientID gsi1 (with the StudyDate range on its sort key), a
 * PatientName prefix the name tokens, StudyDate or nothing the tenant's date index gsi3; a search of
 * all series or instances is expanded from such a study plan and never from every study. The
 * expected plans are written out here from that table, not computed with the planner's helpers.
 */
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#core/errors.ts';
import { nameSearchToken, planQuery, STUDY_KEY_HELP, type Level, type Scope } from '#core/qido/query-plan.ts';
import type { QueryFilter } from '#core/qido/query-params.ts';

/** The attributes these tests search by, their tags and VRs written out (PS3.6). */
const ATTRIBUTES = {
  StudyInstanceUID: ['0020000D', 'UI'],
  SeriesInstanceUID: ['0020000E', 'UI'],
  SOPInstanceUID: ['00080018', 'UI'],
  AccessionNumber: ['00080050', 'SH'],
  PatientID: ['00100020', 'LO'],
  PatientName: ['00100010', 'PN'],
  StudyDate: ['00080020', 'DA'],
  Modality: ['00080060', 'CS'],
  StudyDescription: ['00081030', 'LO'],
} as const;
type Keyword = keyof typeof ATTRIBUTES;

const info = (keyword: Keyword) => ({ tag: ATTRIBUTES[keyword][0], keyword, vr: ATTRIBUTES[keyword][1] });
const filter = (keyword: Keyword, value: string): QueryFilter => ({ ...info(keyword), path: [], value });
/** `<keyword>.<inner>=value`: the parser accepts any dotted path; it is a sequence match, never a key. */
const nested = (keyword: Keyword, inner: Keyword, value: string): QueryFilter => ({ ...info(keyword), path: [info(inner)], value });

const plan = (level: Level, filters: QueryFilter[], scope: Scope = {}, fuzzy = false) => planQuery(level, scope, filters, fuzzy);

const KEYS = 'StudyInstanceUID, AccessionNumber, PatientID, StudyDate or a PatientName prefix (e.g. DOE*)';

/** The exact 400 a call gives (a message checked whole, not by a fragment). */
function refusal(call: () => unknown): { status: number; message: string } {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return { status: (error as BadRequestError).statusCode, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('planQuery — /studies', () => {
  it('keys a StudyInstanceUID list by its UIDs, each once, in either list syntax', () => {
    expect(plan('study', [filter('StudyInstanceUID', '1.2.3')])).toStrictEqual({ kind: 'studies-by-uid', uids: ['1.2.3'] });
    expect(plan('study', [filter('StudyInstanceUID', '1.2.3\\1.2.4,1.2.3, 1.2.5')])).toStrictEqual({
      kind: 'studies-by-uid',
      uids: ['1.2.3', '1.2.4', '1.2.5'],
    });
  });

  it('prefers the UIDs to every other key, and the accession number to the patient', () => {
    const all = [filter('PatientID', 'P1'), filter('AccessionNumber', 'ACC1'), filter('PatientName', 'DOE*'), filter('StudyDate', '20200101'), filter('StudyInstanceUID', '1.2.3')];
    expect(plan('study', all)).toStrictEqual({ kind: 'studies-by-uid', uids: ['1.2.3'] });
    expect(plan('study', all.slice(0, 4))).toStrictEqual({ kind: 'studies-by-accession', accession: 'ACC1' });
    expect(plan('study', [all[0]!, all[2]!, all[3]!])).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: { from: '20200101', to: '20200101' } });
  });

  it('uses no key for a universal or wildcard UID value', () => {
    for (const value of ['', '*', '1.2.*', '1.2.?']) {
      expect(plan('study', [filter('StudyInstanceUID', value)]), value).toStrictEqual({
        kind: 'studies-by-date',
        dates: {},
        bounded: value.length > 1,
      });
    }
  });

  it('keys one accession number on gsi2, but not a wildcard or a list of them', () => {
    expect(plan('study', [filter('AccessionNumber', 'ACC1')])).toStrictEqual({ kind: 'studies-by-accession', accession: 'ACC1' });
    for (const value of ['ACC*', 'AC?1', 'ACC1,ACC2', 'ACC1\\ACC2']) {
      expect(plan('study', [filter('AccessionNumber', value)]), value).toStrictEqual({ kind: 'studies-by-date', dates: {}, bounded: true });
    }
    expect(plan('study', [filter('AccessionNumber', ''), filter('PatientID', 'P1')])).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: {} });
  });

  it('keys one PatientID on gsi1 with the StudyDate range on its sort key', () => {
    const byPatient = (date?: string) => plan('study', [filter('PatientID', 'P1'), ...(date === undefined ? [] : [filter('StudyDate', date)])]);
    expect(byPatient()).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: {} });
    expect(byPatient('20200101-20200131')).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: { from: '20200101', to: '20200131' } });
    expect(byPatient('2020-01-05')).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: { from: '20200105', to: '20200105' } });
    expect(byPatient('20200101-')).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: { from: '20200101' } });
    expect(byPatient('-20200131')).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: { to: '20200131' } });
    expect(byPatient('*')).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: {} });
    expect(byPatient('')).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: {} });
  });

  it('keys no patient for a wildcard or a list of PatientIDs: their studies are found by walking the dates', () => {
    // The matcher reads `P1\P2` and `P1,P2` as "P1 or P2"; a key made of the whole value names no patient.
    for (const value of ['P*', 'P?', 'P1\\P2', 'P1,P2']) {
      expect(plan('study', [filter('PatientID', value)]), value).toStrictEqual({ kind: 'studies-by-date', dates: {}, bounded: true });
    }
  });

  it('keys a lone value of a list the way the matcher reads it, trimmed', () => {
    expect(plan('study', [filter('PatientID', ' P1 ')])).toStrictEqual({ kind: 'studies-by-patient', patientId: 'P1', dates: {} });
    expect(plan('study', [filter('AccessionNumber', 'ACC1,')])).toStrictEqual({ kind: 'studies-by-accession', accession: 'ACC1' });
  });

  it('searches a PatientName by the name token of its literal start', () => {
    expect(plan('study', [filter('PatientName', 'DOE^J*')])).toStrictEqual({ kind: 'studies-by-name', token: 'DOE' });
    expect(plan('study', [filter('PatientName', 'müller*')])).toStrictEqual({ kind: 'studies-by-name', token: 'MULLER' });
    expect(plan('study', [filter('PatientName', 'jo doe')], {}, true)).toStrictEqual({ kind: 'studies-by-name', token: 'DOE' });
  });

  it('walks the date index when a PatientName comes with a StudyDate, bounded by the name filter', () => {
    expect(plan('study', [filter('PatientName', 'DOE*'), filter('StudyDate', '20200101-20200131')])).toStrictEqual({
      kind: 'studies-by-date',
      dates: { from: '20200101', to: '20200131' },
      bounded: true,
    });
    expect(plan('study', [filter('PatientName', '*OE'), filter('StudyDate', '20200101')])).toStrictEqual({
      kind: 'studies-by-date',
      dates: { from: '20200101', to: '20200101' },
      bounded: true,
    });
  });

  it('refuses a PatientName with no leading characters when nothing else keys the search', () => {
    for (const name of ['*OE', '?OE', '^*']) {
      expect(refusal(() => plan('study', [filter('PatientName', name)])), name).toEqual({
        status: 400,
        message: `PatientName "${name}" has no leading characters to search by; add ${KEYS}`,
      });
    }
    expect(STUDY_KEY_HELP).toBe(KEYS);
  });

  it('treats a universal PatientName as absent', () => {
    expect(plan('study', [filter('PatientName', '*')])).toStrictEqual({ kind: 'studies-by-date', dates: {}, bounded: false });
    expect(plan('study', [filter('PatientName', '')])).toStrictEqual({ kind: 'studies-by-date', dates: {}, bounded: false });
  });

  it('bounds the walk of the date index only when a filter other than StudyDate must be applied', () => {
    expect(plan('study', [])).toStrictEqual({ kind: 'studies-by-date', dates: {}, bounded: false });
    expect(plan('study', [filter('StudyDate', '20200101-20200131')])).toStrictEqual({ kind: 'studies-by-date', dates: { from: '20200101', to: '20200131' }, bounded: false });
    expect(plan('study', [filter('StudyDate', '20200101'), filter('Modality', 'CT')])).toStrictEqual({ kind: 'studies-by-date', dates: { from: '20200101', to: '20200101' }, bounded: true });
    expect(plan('study', [filter('Modality', '*'), filter('StudyDescription', '')])).toStrictEqual({ kind: 'studies-by-date', dates: {}, bounded: false });
  });

  it('never takes a key from a sequence match that happens to start with a key attribute', () => {
    const sequenceOnly = { kind: 'studies-by-date', dates: {}, bounded: true };
    expect(plan('study', [nested('StudyInstanceUID', 'StudyInstanceUID', '1.2.3')])).toStrictEqual(sequenceOnly);
    expect(plan('study', [nested('AccessionNumber', 'AccessionNumber', 'ACC1')])).toStrictEqual(sequenceOnly);
    expect(plan('study', [nested('PatientID', 'PatientID', 'P1')])).toStrictEqual(sequenceOnly);
    expect(plan('study', [nested('StudyDate', 'StudyDate', '20200101')])).toStrictEqual(sequenceOnly);
    expect(plan('study', [nested('PatientName', 'PatientName', 'DOE*')])).toStrictEqual(sequenceOnly);
  });
});

describe('planQuery — /series', () => {
  it('lists the series of the study in the path, whatever else is asked', () => {
    expect(plan('series', [filter('SeriesInstanceUID', '1.2.3.4'), filter('PatientID', 'P1')], { study: '1.2.3' })).toStrictEqual({
      kind: 'series-of-study',
      study: '1.2.3',
    });
  });

  it('keys a SeriesInstanceUID list on gsi2, each UID once', () => {
    expect(plan('series', [filter('SeriesInstanceUID', '1.2.3.4,1.2.3.5\\1.2.3.4'), filter('PatientID', 'P1')])).toStrictEqual({
      kind: 'series-by-uid',
      uids: ['1.2.3.4', '1.2.3.5'],
    });
  });

  it('expands the studies a study key names', () => {
    expect(plan('series', [filter('SeriesInstanceUID', '*'), filter('PatientID', 'P1'), filter('Modality', 'CT')])).toStrictEqual({
      kind: 'series-of-studies',
      studies: { kind: 'studies-by-patient', patientId: 'P1', dates: {} },
    });
    expect(plan('series', [filter('PatientName', 'DOE*')])).toStrictEqual({ kind: 'series-of-studies', studies: { kind: 'studies-by-name', token: 'DOE' } });
    expect(plan('series', [filter('StudyDate', '20200101-')])).toStrictEqual({
      kind: 'series-of-studies',
      studies: { kind: 'studies-by-date', dates: { from: '20200101' }, bounded: false },
    });
    expect(plan('series', [filter('StudyDate', '-20200131'), filter('Modality', 'CT')])).toStrictEqual({
      kind: 'series-of-studies',
      studies: { kind: 'studies-by-date', dates: { to: '20200131' }, bounded: true },
    });
  });

  it('refuses a search of all series without a series or study key (never every study of the tenant)', () => {
    const expected = { status: 400, message: `a search of all series needs SeriesInstanceUID or a study key: ${KEYS}` };
    expect(refusal(() => plan('series', []))).toEqual(expected);
    expect(refusal(() => plan('series', [filter('Modality', 'CT')]))).toEqual(expected);
    expect(refusal(() => plan('series', [filter('StudyDate', '*'), filter('SeriesInstanceUID', '1.2.*')]))).toEqual(expected);
  });
});

describe('planQuery — /instances', () => {
  it('reads the instances of one series named by SOP Instance UID by their keys, each once', () => {
    expect(plan('instance', [filter('SOPInstanceUID', '1.2.3.4.5,1.2.3.4.6,1.2.3.4.5')], { study: '1.2.3', series: '1.2.3.4' })).toStrictEqual({
      kind: 'instances-by-key',
      study: '1.2.3',
      series: '1.2.3.4',
      uids: ['1.2.3.4.5', '1.2.3.4.6'],
    });
  });

  it('lists the instances of the study (and series) in the path otherwise', () => {
    expect(plan('instance', [filter('SOPInstanceUID', '*')], { study: '1.2.3', series: '1.2.3.4' })).toStrictEqual({ kind: 'instances-of-study', study: '1.2.3', series: '1.2.3.4' });
    expect(plan('instance', [filter('SOPInstanceUID', '1.2.3.4.5')], { study: '1.2.3' })).toStrictEqual({ kind: 'instances-of-study', study: '1.2.3', series: undefined });
    expect(plan('instance', [filter('PatientID', 'P1')], { study: '1.2.3' })).toStrictEqual({ kind: 'instances-of-study', study: '1.2.3', series: undefined });
  });

  it('keys a SOPInstanceUID list on gsi1 when no study is in the path', () => {
    expect(plan('instance', [filter('SOPInstanceUID', '1.2.3.4.5\\1.2.3.4.6'), filter('StudyInstanceUID', '1.2.3')])).toStrictEqual({
      kind: 'instances-by-sop',
      uids: ['1.2.3.4.5', '1.2.3.4.6'],
    });
    expect(plan('instance', [filter('SOPInstanceUID', '1.2.3.4.5')], { series: '1.2.3.4' })).toStrictEqual({ kind: 'instances-by-sop', uids: ['1.2.3.4.5'] });
  });

  it('expands the studies a study key names', () => {
    expect(plan('instance', [filter('StudyInstanceUID', '1.2.3')])).toStrictEqual({ kind: 'instances-of-studies', studies: { kind: 'studies-by-uid', uids: ['1.2.3'] } });
    expect(plan('instance', [filter('AccessionNumber', 'ACC1')])).toStrictEqual({ kind: 'instances-of-studies', studies: { kind: 'studies-by-accession', accession: 'ACC1' } });
  });

  it('refuses a search of all instances without an instance or study key', () => {
    const expected = { status: 400, message: `a search of all instances needs SOPInstanceUID or a study key: ${KEYS}` };
    expect(refusal(() => plan('instance', []))).toEqual(expected);
    expect(refusal(() => plan('instance', [filter('Modality', 'CT'), filter('SOPInstanceUID', '')]))).toEqual(expected);
  });
});

describe('nameSearchToken', () => {
  it('gives the first name token of the literal start', () => {
    expect(nameSearchToken('DOE^J*', false)).toBe('DOE');
    expect(nameSearchToken('de la cruz*', false)).toBe('DE');
    expect(nameSearchToken('O?BRIEN', false)).toBe('O');
    expect(nameSearchToken('^JOHN*', false)).toBe('JOHN');
    expect(nameSearchToken('SMITH', false)).toBe('SMITH');
  });

  it('gives nothing for an empty value, a value starting with a wildcard, or one with no letters before it', () => {
    for (const value of ['', '*', '*OE', '?OE', '^*', '^?X']) {
      expect(nameSearchToken(value, false), value).toBeUndefined();
      expect(nameSearchToken(value, true), value).toBeUndefined();
    }
  });

  it('with fuzzy matching gives the longest token before the first wildcard', () => {
    expect(nameSearchToken('jo doe', true)).toBe('DOE');
    expect(nameSearchToken('ab cde*fghij', true)).toBe('CDE');
    expect(nameSearchToken('AB CDE?FGHIJ', true)).toBe('CDE');
    expect(nameSearchToken('DOE^JANE', true)).toBe('JANE');
    expect(nameSearchToken('Zoë Li', true)).toBe('ZOE');
  });
});
