import { describe, expect, it } from 'vitest';
import { outcomesOf, warningTexts } from '#clients/push/stow-request.ts';
import { groupKey } from '#clients/push/tally.ts';

const file = (sop: string | undefined) => ({ path: `/x/${sop ?? 'unknown'}`, size: 1, study: '1.2', sop });
const item = (sop: string, extra: Record<string, unknown> = {}) => ({ '00081155': { Value: [sop] }, ...extra });

describe('outcomesOf', () => {
  it('gives each file its own outcome by SOP Instance UID, with its warnings and refusals', () => {
    const files = [file('1.2.1'), file('1.2.2'), file('1.2.3')];
    const body = {
      '00081199': { Value: [item('1.2.1'), item('1.2.3', { '00081196': { Value: [0xb007] } })] },
      '00081198': { Value: [item('1.2.2', { '00081197': { Value: [0xa900] } })] },
    };
    const warning = '299 strata: "part 2 refused: its keyed value is too long", 299 strata: "instance 1.2.3: its file meta does not match"';
    expect(outcomesOf(files, body, warning)).toEqual([
      { kind: 'stored', warnings: [] },
      { kind: 'refused', code: 0xa900, reason: 'its keyed value is too long' },
      { kind: 'stored', warnings: [{ code: 0xb007, message: 'its file meta does not match' }] },
    ]);
  });

  it('a refusal that names no UID is attributed only in a request of one file; in a larger one the file is sent again alone', () => {
    const body = { '00081198': { Value: [{ '00081197': { Value: [0xc000] } }] }, '00081199': { Value: [item('1.2.1')] } };
    const warning = '299 strata: "part 2 refused: not a DICOM Part 10 file"';
    expect(outcomesOf([file('1.2.1'), file(undefined)], body, warning)).toEqual([{ kind: 'stored', warnings: [] }, { kind: 'ambiguous' }]);
    expect(outcomesOf([file(undefined)], { '00081198': body['00081198'] }, '299 strata: "part 1 refused: not a DICOM Part 10 file"')).toEqual([
      { kind: 'refused', code: 0xc000, reason: 'not a DICOM Part 10 file' },
    ]);
  });

  it('a file whose header the client could not read takes the stored instance no other file claims', () => {
    expect(outcomesOf([file(undefined)], { '00081199': { Value: [item('9.9')] } }, null)).toEqual([{ kind: 'stored', warnings: [] }]);
  });
});

describe('grouping', () => {
  it('reads quoted warning texts and groups texts that differ only by UIDs and quoted values', () => {
    expect(warningTexts('299 strata: "a, b", 299 strata: "c"')).toEqual(['a, b', 'c']);
    expect(groupKey('instance 1.2.840.99.1 has "X" in 0010,0010')).toBe(groupKey('instance 1.2.840.99.2 has "Y" in 0010,0010'));
  });
});
