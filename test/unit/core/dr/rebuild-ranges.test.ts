/** Cutting a parallel rebuild into key ranges (core/dr/rebuild-ranges.ts): between studies, about equal versions, covering every key once. */
import { describe, expect, it } from 'vitest';
import { beforeRangeEnd, rebuildRanges, type StudyExtent } from '#core/dr/rebuild-ranges.ts';

const study = (name: string, versions: number, keyBefore: string | undefined): StudyExtent => ({ prefix: `t/studies/${name}/`, versions, keyBefore });

describe('rebuild ranges', () => {
  const studies = [study('1.1', 4, undefined), study('1.2', 4, 't/studies/1.1/z'), study('1.3', 4, 't/studies/1.2/z'), study('1.4', 4, 't/studies/1.3/z')];

  it('cuts before the study where each next share of the versions begins, resuming after the key before it', () => {
    expect(rebuildRanges(studies, 2)).toEqual([
      { startAfter: undefined, until: 't/studies/1.3/' },
      { startAfter: 't/studies/1.2/z' },
    ]);
    expect(rebuildRanges(studies, 4).map((r) => r.until)).toEqual(['t/studies/1.2/', 't/studies/1.3/', 't/studies/1.4/', undefined]);
  });

  it('never cuts inside a study, so a big study makes fewer ranges than workers', () => {
    const ranges = rebuildRanges([study('9', 100, undefined), study('9.1', 1, 't/studies/9/z')], 4);
    expect(ranges).toEqual([{ startAfter: undefined, until: 't/studies/9.1/' }, { startAfter: 't/studies/9/z' }]);
  });

  it('is one range, the whole bucket, for one worker or an empty bucket', () => {
    expect(rebuildRanges(studies, 1)).toEqual([{ startAfter: undefined }]);
    expect(rebuildRanges([], 3)).toEqual([{ startAfter: undefined }]);
  });

  it('ends a range before its cut and refuses a number of workers that is not a whole number ≥ 1', () => {
    expect(beforeRangeEnd('t/studies/1.2/x', { until: 't/studies/1.3/' })).toBe(true);
    expect(beforeRangeEnd('t/studies/1.3/a', { until: 't/studies/1.3/' })).toBe(false);
    expect(beforeRangeEnd('anything', {})).toBe(true);
    expect(() => rebuildRanges(studies, 0)).toThrow(RangeError);
    expect(() => rebuildRanges(studies, 1.5)).toThrow(RangeError);
  });
});
