/**
 * QIDO-RS attribute matching (PS3.4 C.2.2.2, PS3.18 §8.3.4.6): what a search returns. Each case is a
 * hand-written dataset and the answer the standard gives for it (single value, UID list, universal,
 * `*` and `?` wildcards, DA/TM/DT ranges with StudyDate+StudyTime as one range, sequence matching,
 * case-insensitive and fuzzy PN), never an answer computed with the matcher's own helpers.
 */
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#core/errors.ts';
import { compileFilter, compileFilters, isUniversal, nameTokens, normalizeDate, normalizeTime, parseRange } from '#core/qido/matching.ts';
import type { QueryFilter } from '#core/qido/query-params.ts';
import type { DicomJsonDataset } from '#core/dicom/dicom-json.ts';

type Info = { tag: string; keyword: string; vr: string };
const A = {
  PatientName: { tag: '00100010', keyword: 'PatientName', vr: 'PN' },
  PatientID: { tag: '00100020', keyword: 'PatientID', vr: 'LO' },
  Modality: { tag: '00080060', keyword: 'Modality', vr: 'CS' },
  StudyDescription: { tag: '00081030', keyword: 'StudyDescription', vr: 'LO' },
  ImageComments: { tag: '00204000', keyword: 'ImageComments', vr: 'LT' },
  SeriesNumber: { tag: '00200011', keyword: 'SeriesNumber', vr: 'IS' },
  Rows: { tag: '00280010', keyword: 'Rows', vr: 'US' },
  StudyInstanceUID: { tag: '0020000D', keyword: 'StudyInstanceUID', vr: 'UI' },
  StudyDate: { tag: '00080020', keyword: 'StudyDate', vr: 'DA' },
  StudyTime: { tag: '00080030', keyword: 'StudyTime', vr: 'TM' },
  SeriesTime: { tag: '00080031', keyword: 'SeriesTime', vr: 'TM' },
  AcquisitionDateTime: { tag: '0008002A', keyword: 'AcquisitionDateTime', vr: 'DT' },
  RequestAttributesSequence: { tag: '00400275', keyword: 'RequestAttributesSequence', vr: 'SQ' },
  RequestedProcedureID: { tag: '00401001', keyword: 'RequestedProcedureID', vr: 'SH' },
  ScheduledProcedureStepSequence: { tag: '00400100', keyword: 'ScheduledProcedureStepSequence', vr: 'SQ' },
} satisfies Record<string, Info>;

const filter = (info: Info, value: string, path: Info[] = []): QueryFilter => ({ ...info, path, value });
/** A dataset with one attribute holding `values` (DICOM JSON). */
const one = (info: Info, ...values: unknown[]): DicomJsonDataset => ({ [info.tag]: { vr: info.vr, Value: values } }) as DicomJsonDataset;
const matches = (f: QueryFilter, dataset: DicomJsonDataset, fuzzy = false) => compileFilter(f, fuzzy)!(dataset);
const name = (alphabetic: string, more: Record<string, string> = {}) => one(A.PatientName, { Alphabetic: alphabetic, ...more });

function refusal(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('universal matching (C.2.2.2.3)', () => {
  it('is an empty value or one made only of *', () => {
    for (const value of ['', '*', '**', '***']) expect(isUniversal(value), value).toBe(true);
    for (const value of ['?', 'A', '*A', 'A*', '*A*', ' ']) expect(isUniversal(value), value).toBe(false);
  });

  it('gives no matcher, so it matches every dataset, with or without the attribute', () => {
    expect(compileFilter(filter(A.Modality, ''), false)).toBeUndefined();
    expect(compileFilter(filter(A.PatientName, '**'), true)).toBeUndefined();
    expect(compileFilter(filter(A.RequestAttributesSequence, '*', [A.RequestedProcedureID]), false)).toBeUndefined();
    expect(compileFilters([filter(A.Modality, '*'), filter(A.PatientID, 'P1'), filter(A.StudyDate, '')], false)).toHaveLength(1);
  });
});

describe('single value matching of strings (C.2.2.2.1)', () => {
  const ct = filter(A.Modality, 'CT');

  it('matches a value equal to the key, case-sensitively, ignoring the padding of the stored value', () => {
    expect(matches(ct, one(A.Modality, 'CT'))).toBe(true);
    expect(matches(ct, one(A.Modality, 'CT '))).toBe(true);
    expect(matches(ct, one(A.Modality, ' CT'))).toBe(true);
    expect(matches(ct, one(A.Modality, 'ct'))).toBe(false);
    expect(matches(ct, one(A.Modality, 'CTX'))).toBe(false);
    expect(matches(filter(A.StudyDescription, 'HEAD CT'), one(A.StudyDescription, 'HEAD CT'))).toBe(true);
  });

  it('matches when any value of a multi-valued attribute does', () => {
    expect(matches(ct, one(A.Modality, 'MR', 'CT'))).toBe(true);
    expect(matches(ct, one(A.Modality, 'MR', 'US'))).toBe(false);
  });

  it('matches nothing when the attribute is absent, has no value, or its value is null', () => {
    expect(matches(ct, {})).toBe(false);
    expect(matches(ct, { [A.Modality.tag]: { vr: 'CS' } } as DicomJsonDataset)).toBe(false);
    expect(matches(ct, one(A.Modality))).toBe(false);
    expect(matches(filter(A.StudyDescription, 'null'), one(A.StudyDescription, null))).toBe(false);
  });

  it('reads a list (backslash or comma) as any of its values', () => {
    for (const list of ['CT\\MR', 'CT,MR', ' MR , CT ']) {
      expect(matches(filter(A.Modality, list), one(A.Modality, 'MR')), list).toBe(true);
      expect(matches(filter(A.Modality, list), one(A.Modality, 'US')), list).toBe(false);
    }
  });

  it('compares IS values given as JSON numbers by their text', () => {
    expect(matches(filter(A.SeriesNumber, '3'), one(A.SeriesNumber, 3))).toBe(true);
    expect(matches(filter(A.SeriesNumber, '3'), one(A.SeriesNumber, 33))).toBe(false);
  });
});

describe('wildcard matching (C.2.2.2.4)', () => {
  const desc = (pattern: string, value: string) => matches(filter(A.StudyDescription, pattern), one(A.StudyDescription, value));

  it('lets * stand for any run and ? for exactly one character, anchored at both ends, case-sensitively', () => {
    expect(desc('HEAD*', 'HEAD CT')).toBe(true);
    expect(desc('HEAD*', 'HEAD')).toBe(true);
    expect(desc('head*', 'HEAD CT')).toBe(false);
    expect(desc('*CT', 'HEAD CT')).toBe(true);
    expect(desc('*CT', 'HEAD CTA')).toBe(false);
    expect(desc('EAD*', 'HEAD CT')).toBe(false);
    expect(desc('HEAD?CT', 'HEAD CT')).toBe(true);
    expect(desc('HEAD?CT', 'HEADCT')).toBe(false);
    expect(desc('HEAD?CT', 'HEAD  CT')).toBe(false);
    expect(matches(filter(A.Modality, '??'), one(A.Modality, 'CT'))).toBe(true);
    expect(matches(filter(A.Modality, '??'), one(A.Modality, 'CTA'))).toBe(false);
  });

  it('matches any value with ?*, but not an absent attribute or one without a value', () => {
    expect(desc('?*', 'ANYTHING')).toBe(true);
    expect(matches(filter(A.StudyDescription, '?*'), {})).toBe(false);
    expect(matches(filter(A.StudyDescription, '?*'), one(A.StudyDescription))).toBe(false);
  });

  it('lets * run across a line break of a text value', () => {
    expect(matches(filter(A.ImageComments, 'FIRST*'), one(A.ImageComments, 'FIRST LINE\nSECOND LINE'))).toBe(true);
    expect(matches(filter(A.ImageComments, '*LINE?SECOND*'), one(A.ImageComments, 'FIRST LINE\nSECOND LINE'))).toBe(true);
  });

  it('treats every regular-expression character of a pattern literally', () => {
    expect(desc('A.C*', 'A.CD')).toBe(true);
    expect(desc('A.C*', 'ABCD')).toBe(false);
    expect(desc('A+*', 'A+B')).toBe(true);
    expect(desc('A+*', 'AAB')).toBe(false);
    expect(desc('^A*', '^AB')).toBe(true);
    expect(desc('$1*', '$1A')).toBe(true);
    expect(desc('(X)*', '(X)1')).toBe(true);
    expect(desc('(X)*', 'X1')).toBe(false);
    expect(desc('A{2}*', 'A{2}B')).toBe(true);
    expect(desc('A{2}*', 'AAB')).toBe(false);
    expect(desc('A|B*', 'A|BC')).toBe(true);
    expect(desc('A|B*', 'A')).toBe(false);
    expect(desc('[AB]*', '[AB]C')).toBe(true);
    expect(desc('[AB]*', 'AC')).toBe(false);
  });
});

describe('person names (PN): case-insensitive, any component group', () => {
  it('matches a name without wildcards ignoring case, and only the whole name', () => {
    expect(matches(filter(A.PatientName, 'doe^john'), name('DOE^JOHN'))).toBe(true);
    expect(matches(filter(A.PatientName, 'DOE^JOHN'), name('Doe^John'))).toBe(true);
    expect(matches(filter(A.PatientName, 'doe^john'), name('DOE^JOHNNY'))).toBe(false);
  });

  it('matches wildcards ignoring case, across a line break too', () => {
    expect(matches(filter(A.PatientName, 'doe*'), name('DOE^JANE'))).toBe(true);
    expect(matches(filter(A.PatientName, 'doe*'), name('DOE\nJANE'))).toBe(true);
    expect(matches(filter(A.PatientName, 'doe*'), name('JANE^DOE'))).toBe(false);
  });

  it('matches the ideographic or phonetic group as well as the alphabetic one', () => {
    const yamada = name('Yamada^Tarou', { Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' });
    expect(matches(filter(A.PatientName, '山田^太郎'), yamada)).toBe(true);
    expect(matches(filter(A.PatientName, 'やまだ*'), yamada)).toBe(true);
    expect(matches(filter(A.PatientName, 'YAMADA*'), yamada)).toBe(true);
    expect(matches(filter(A.PatientName, '田中*'), yamada)).toBe(false);
  });

  it('reads a list of names as any of them', () => {
    expect(matches(filter(A.PatientName, 'SMITH\\DOE*'), name('DOE^J'))).toBe(true);
    expect(matches(filter(A.PatientName, 'SMITH,DOE^J'), name('SMITH'))).toBe(true);
    expect(matches(filter(A.PatientName, 'SMITH\\DOE*'), name('JONES'))).toBe(false);
  });
});

describe('fuzzy PN matching (fuzzymatching=true)', () => {
  const fuzzy = (query: string, alphabetic: string) => matches(filter(A.PatientName, query), name(alphabetic), true);

  it('matches when every word of the query starts a word of the name, in any order, ignoring case and accents', () => {
    expect(fuzzy('john doe', 'DOE^JOHN')).toBe(true);
    expect(fuzzy('jo do', 'DOE^JOHN')).toBe(true);
    expect(fuzzy('jose', 'GARCÍA^JOSÉ')).toBe(true);
    expect(fuzzy('JOSÉ', 'GARCIA^JOSE')).toBe(true);
    expect(fuzzy('jo*', 'DOE^JOHN')).toBe(true);
  });

  it('does not match a word that only ends or contains a name word, or a missing word', () => {
    expect(fuzzy('oe', 'DOE^JOHN')).toBe(false);
    expect(fuzzy('john smith', 'DOE^JOHN')).toBe(false);
    expect(fuzzy('j?hn', 'DOE^JOHN')).toBe(false);
  });

  it('is used only when asked for', () => {
    expect(matches(filter(A.PatientName, 'john doe'), name('DOE^JOHN'), false)).toBe(false);
  });

  it('matches no name without any component', () => {
    expect(fuzzy('?', 'DOE')).toBe(true);
    expect(fuzzy('?', '')).toBe(false);
  });
});

describe('nameTokens', () => {
  it('splits on ^, =, spaces and commas, upper-cases and drops diacritics', () => {
    expect(nameTokens('de la Cruz, Ana^^')).toStrictEqual(['DE', 'LA', 'CRUZ', 'ANA']);
    expect(nameTokens('^Ångström=ホセ\tX')).toStrictEqual(['ANGSTROM', 'ホセ', 'X']);
    expect(nameTokens('')).toStrictEqual([]);
  });
});

describe('binary numbers (US, UL, SS …)', () => {
  it('matches by numeric equality with any listed number', () => {
    expect(matches(filter(A.Rows, '512'), one(A.Rows, 512))).toBe(true);
    expect(matches(filter(A.Rows, '0512'), one(A.Rows, 512))).toBe(true);
    expect(matches(filter(A.Rows, '256\\512'), one(A.Rows, 512))).toBe(true);
    expect(matches(filter(A.Rows, '511'), one(A.Rows, 512))).toBe(false);
  });

  it('refuses a value that is not a number, even in a list', () => {
    expect(refusal(() => compileFilter(filter(A.Rows, 'abc'), false))).toBe('"abc" is not a valid value for Rows (US)');
    expect(refusal(() => compileFilter(filter(A.Rows, '512\\abc'), false))).toBe('"512\\abc" is not a valid value for Rows (US)');
  });
});

describe('UID list matching (C.2.2.2.2)', () => {
  it('matches a UID equal to one of the list, never a prefix or extension of one', () => {
    const list = filter(A.StudyInstanceUID, '1.2.3\\1.2.4');
    expect(matches(list, one(A.StudyInstanceUID, '1.2.4'))).toBe(true);
    expect(matches(list, one(A.StudyInstanceUID, '1.2.40'))).toBe(false);
    expect(matches(list, one(A.StudyInstanceUID, '1.2'))).toBe(false);
    expect(matches(filter(A.StudyInstanceUID, '1.2.3'), one(A.StudyInstanceUID, '1.2.3'))).toBe(true);
  });
});

describe('range matching of dates, times and date-times (C.2.2.2.5)', () => {
  const onDate = (query: string, value: string) => matches(filter(A.StudyDate, query), one(A.StudyDate, value));

  it('matches a single date, also written 2020-01-15, and a stored date with padding or old dots', () => {
    expect(onDate('20200115', '20200115')).toBe(true);
    expect(onDate('20200115', '20200116')).toBe(false);
    expect(onDate('2020-01-15', '20200115')).toBe(true);
    expect(onDate('2020-01-15', '20200116')).toBe(false);
    expect(onDate('20200115', ' 20200115 ')).toBe(true);
    expect(onDate('20200115', '2020.01.15')).toBe(true);
  });

  it('includes both bounds of a closed range and nothing outside it', () => {
    const january = '20200101-20200131';
    expect(onDate(january, '20200101')).toBe(true);
    expect(onDate(january, '20200115')).toBe(true);
    expect(onDate(january, '20200131')).toBe(true);
    expect(onDate(january, '20191231')).toBe(false);
    expect(onDate(january, '20200201')).toBe(false);
  });

  it('matches open ranges from or up to a date', () => {
    expect(onDate('20200101-', '20991231')).toBe(true);
    expect(onDate('20200101-', '20200101')).toBe(true);
    expect(onDate('20200101-', '20191231')).toBe(false);
    expect(onDate('-20200131', '19000101')).toBe(true);
    expect(onDate('-20200131', '20200131')).toBe(true);
    expect(onDate('-20200131', '20200201')).toBe(false);
  });

  it('matches no stored value that is not a date, without failing the search', () => {
    expect(onDate('20200101-', 'garbage')).toBe(false);
    expect(onDate('-20200131', '')).toBe(false);
  });

  it('refuses a query date that is not a date, and a range without bounds', () => {
    expect(refusal(() => compileFilter(filter(A.StudyDate, '2020011'), false))).toBe('"2020011" is not a DICOM date (YYYYMMDD)');
    expect(refusal(() => compileFilter(filter(A.StudyDate, '-'), false))).toBe('"-" is not a range');
  });

  it('matches times, padding the query and the stored value to microseconds', () => {
    const series = (query: string, value: string) => matches(filter(A.SeriesTime, query), one(A.SeriesTime, value));
    expect(series('0800-1200', '0800')).toBe(true);
    expect(series('0800-1200', '1200')).toBe(true);
    expect(series('0800-1200', '10:30')).toBe(true);
    expect(series('0800-1200', '120000.5')).toBe(false);
    expect(series('0800-1200', '075959')).toBe(false);
    expect(series('0800-1200', 'x')).toBe(false);
    expect(series('1030', '103000')).toBe(true);
    expect(series('1030', '1031')).toBe(false);
  });

  it('matches date-times by their digits', () => {
    const acquired = (query: string, value: string) => matches(filter(A.AcquisitionDateTime, query), one(A.AcquisitionDateTime, value));
    const hour = '20200101120000-20200101130000';
    expect(acquired(hour, '20200101120000')).toBe(true);
    expect(acquired(hour, '20200101123000.5')).toBe(true);
    expect(acquired(hour, '20200101130000')).toBe(true);
    expect(acquired(hour, '20200101140000')).toBe(false);
    expect(acquired(hour, '20200101110000')).toBe(false);
  });
});

describe('normalizeDate, normalizeTime, parseRange', () => {
  it('reads YYYYMMDD, YYYY-MM-DD and the old YYYY.MM.DD', () => {
    expect(normalizeDate('20200115')).toBe('20200115');
    expect(normalizeDate('2020-01-15')).toBe('20200115');
    expect(normalizeDate('2020.01.15')).toBe('20200115');
  });

  it('refuses anything else', () => {
    for (const value of ['2020011', '202001151', 'x20200115', '20200115x', '12020-01-15', '2020-01-151', '2020-1-15', '2020-01-5', '20-01-15', '2020-0a-15', 'abcdefgh', '']) {
      expect(refusal(() => normalizeDate(value)), value).toBe(`"${value}" is not a DICOM date (YYYYMMDD)`);
    }
  });

  it('pads HH, HHMM, HHMMSS and fractions to HHMMSSFFFFFF, with or without colons', () => {
    expect(normalizeTime('10')).toBe('100000000000');
    expect(normalizeTime('1030')).toBe('103000000000');
    expect(normalizeTime('103015')).toBe('103015000000');
    expect(normalizeTime('103015.5')).toBe('103015500000');
    expect(normalizeTime('103015.25')).toBe('103015250000');
    expect(normalizeTime('103015.123456')).toBe('103015123456');
    expect(normalizeTime('10:30:15.25')).toBe('103015250000');
  });

  it('refuses a time that is not HH[MM[SS[.F{1,6}]]]', () => {
    for (const value of ['', '1', '103', '10301', '103015.', '103015.1234567', 'x1030', '1030x', 'ab', '1a30', '1030.5', '103015.x', '103015.12a']) {
      expect(refusal(() => normalizeTime(value)), value).toBe(`"${value}" is not a DICOM time (HHMMSS.FFFFFF)`);
    }
  });

  it('splits a range at its dash, normalising and trimming each bound, and reads an ISO date alone as one day', () => {
    const marked = (v: string) => `<${v}>`;
    expect(parseRange('A-B', marked)).toStrictEqual({ from: '<A>', to: '<B>' });
    expect(parseRange(' A - B ', marked)).toStrictEqual({ from: '<A>', to: '<B>' });
    expect(parseRange('A-', marked)).toStrictEqual({ from: '<A>' });
    expect(parseRange('-B', marked)).toStrictEqual({ to: '<B>' });
    expect(parseRange('A', marked)).toStrictEqual({ from: '<A>', to: '<A>' });
    expect(parseRange('2020-01-15', marked)).toStrictEqual({ from: '<2020-01-15>', to: '<2020-01-15>' });
    expect(parseRange('x2020-01-15', marked)).toStrictEqual({ from: '<x2020>', to: '<01-15>' });
    expect(parseRange('2020-01-15x', marked)).toStrictEqual({ from: '<2020>', to: '<01-15x>' });
    expect(parseRange('20-01-15', marked)).toStrictEqual({ from: '<20>', to: '<01-15>' });
    expect(parseRange('2020-1-15', marked)).toStrictEqual({ from: '<2020>', to: '<1-15>' });
    expect(parseRange('2020-01-1', marked)).toStrictEqual({ from: '<2020>', to: '<01-1>' });
    expect(parseRange('2020-ab-15', marked)).toStrictEqual({ from: '<2020>', to: '<ab-15>' });
    expect(parseRange('abcd-01-15', marked)).toStrictEqual({ from: '<abcd>', to: '<01-15>' });
    expect(parseRange('2020-01-ab', marked)).toStrictEqual({ from: '<2020>', to: '<01-ab>' });
    expect(parseRange('2020-01-15', normalizeDate)).toStrictEqual({ from: '20200115', to: '20200115' });
    expect(refusal(() => parseRange(' - ', marked))).toBe('" - " is not a range');
  });
});

describe('sequence matching (C.2.2.2.6)', () => {
  const rp = (value: string) => filter(A.RequestAttributesSequence, value, [A.RequestedProcedureID]);
  const requests = (...ids: string[]) => ({ [A.RequestAttributesSequence.tag]: { vr: 'SQ', Value: ids.map((id) => one(A.RequestedProcedureID, id)) } }) as DicomJsonDataset;

  it('matches when any item of the sequence matches', () => {
    expect(matches(rp('RP7'), requests('RP1', 'RP7'))).toBe(true);
    expect(matches(rp('RP*'), requests('XX', 'RP2'))).toBe(true);
    expect(matches(rp('RP7'), requests('RP1', 'RP2'))).toBe(false);
  });

  it('matches nothing when the sequence is absent, empty or without items', () => {
    expect(matches(rp('RP7'), {})).toBe(false);
    expect(matches(rp('RP7'), requests())).toBe(false);
    expect(matches(rp('RP7'), { [A.RequestAttributesSequence.tag]: { vr: 'SQ' } } as DicomJsonDataset)).toBe(false);
  });

  it('follows a path through nested sequences', () => {
    const nested = filter(A.RequestAttributesSequence, 'SPS2', [A.ScheduledProcedureStepSequence, A.RequestedProcedureID]);
    const dataset = (id: string) =>
      ({ [A.RequestAttributesSequence.tag]: { vr: 'SQ', Value: [{ [A.ScheduledProcedureStepSequence.tag]: { vr: 'SQ', Value: [one(A.RequestedProcedureID, id)] } }] } }) as DicomJsonDataset;
    expect(matches(nested, dataset('SPS2'))).toBe(true);
    expect(matches(nested, dataset('SPS3'))).toBe(false);
  });
});

describe('StudyDate and StudyTime ranges together: one date-time range (C.2.2.2.5.1)', () => {
  const study = (date: string | undefined, time?: string): DicomJsonDataset => ({
    ...(date === undefined ? {} : one(A.StudyDate, date)),
    ...(time === undefined ? {} : one(A.StudyTime, time)),
  });
  const all = (date: string, time: string, dataset: DicomJsonDataset, extra: QueryFilter[] = []) => {
    const matchers = compileFilters([filter(A.StudyDate, date), filter(A.StudyTime, time), ...extra], false);
    return matchers.every((m) => m(dataset));
  };

  it('makes one matcher of the two ranges', () => {
    expect(compileFilters([filter(A.StudyDate, '20200101-20200102'), filter(A.StudyTime, '1000-1200'), filter(A.Modality, 'CT')], false)).toHaveLength(2);
    expect(compileFilters([filter(A.StudyDate, '20200101-20200102'), filter(A.StudyTime, '1000')], false)).toHaveLength(2);
  });

  it('runs from the first date at the first time to the last date at the last time', () => {
    const range = (dataset: DicomJsonDataset) => all('20200101-20200102', '1000-1200', dataset);
    expect(range(study('20200101', '1300'))).toBe(true); // after the time range, but within the date-time range
    expect(range(study('20200101', '1000'))).toBe(true);
    expect(range(study('20200101', '0959'))).toBe(false);
    expect(range(study('20200102', '0800'))).toBe(true);
    expect(range(study('20200102', '1200'))).toBe(true);
    expect(range(study('20200102', '1201'))).toBe(false);
    expect(range(study('20191231', '1100'))).toBe(false);
  });

  it('runs to the end of the last day or from its start when a time bound is missing', () => {
    expect(all('20200101-20200102', '1000-', study('20200102', '235959.999999'))).toBe(true);
    expect(all('20200101-20200102', '1000-', study('20200101', '1300'))).toBe(true);
    expect(all('20200101-20200102', '1000-', study('20200101', '0959'))).toBe(false);
    expect(all('20200101-20200102', '-1200', study('20200101', '0000'))).toBe(true);
    expect(all('20200101-20200102', '-1200', study('20200102', '1201'))).toBe(false);
  });

  it('is open where the date range is open', () => {
    expect(all('20200101-', '1000-', study('20991231', '0000'))).toBe(true);
    expect(all('20200101-', '1000-', study('20200101', '0959'))).toBe(false);
    expect(all('-20200102', '-1200', study('19000101', '2359'))).toBe(true);
    expect(all('-20200102', '-1200', study('20200102', '1201'))).toBe(false);
  });

  it('reads a missing or unreadable StudyTime as midnight, and matches no study without a YYYYMMDD StudyDate', () => {
    expect(all('20200101-20200102', '-1200', study('20200101'))).toBe(true);
    expect(all('20200101-20200102', '-1200', study('20200101', 'garbage'))).toBe(true);
    expect(all('20200102-20200103', '0100-1200', study('20200102'))).toBe(false); // midnight on the first day is before 01:00
    expect(all('20200101-20200102', '1000-1200', study('20200101', 'garbage'))).toBe(false); // midnight, before 10:00
    expect(all('20200101-20200102', '1000-1200', study('20200102', 'garbage'))).toBe(true); // midnight, before 12:00
    expect(all('-20200102', '-1200', study(undefined, '1000'))).toBe(false);
    expect(all('-20200102', '-1200', study('2020-01-01', '1000'))).toBe(false);
    expect(all('-20200102', '-1200', study('120200101', '1000'))).toBe(false);
    expect(all('-20200102', '-1200', { [A.StudyDate.tag]: { vr: 'DA' } } as DicomJsonDataset)).toBe(false);
  });

  it('applies the other filters as well', () => {
    const ct = [filter(A.Modality, 'CT')];
    expect(all('20200101-20200102', '1000-1200', { ...study('20200101', '1100'), ...one(A.Modality, 'CT') }, ct)).toBe(true);
    expect(all('20200101-20200102', '1000-1200', { ...study('20200101', '1100'), ...one(A.Modality, 'MR') }, ct)).toBe(false);
  });

  it('matches date and time separately when either is a single value', () => {
    // a range of dates and one time: that time on each day
    expect(all('20200101-20200102', '1300', study('20200102', '1300'))).toBe(true);
    expect(all('20200101-20200102', '1300', study('20200102', '1200'))).toBe(false);
    // one date and a range of times: a study without a StudyTime has no time within it
    expect(all('20200101', '-1200', study('20200101'))).toBe(false);
    expect(all('20200101', '-1200', study('20200101', '1100'))).toBe(true);
  });

  it('combines only top-level StudyDate and StudyTime, not a sequence match under either tag', () => {
    const underDate = filter(A.StudyDate, '1000-1200', [A.StudyTime]);
    const underTime = filter(A.StudyTime, '20200101-20200102', [A.StudyDate]);
    expect(compileFilters([underDate, filter(A.StudyTime, '1000-1200')], false)).toHaveLength(2);
    expect(compileFilters([filter(A.StudyDate, '20200101-20200102'), underTime], false)).toHaveLength(2);
  });
});
