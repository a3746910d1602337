import { describe, expect, it } from 'vitest';
import { warningHeader } from '#core/dicomweb/warning-header.ts';

describe('Function: warningHeader', () => {
  it('It should give each warning as a 299 warn-value, quotes and non-ASCII made safe', () => {
    expect(warningHeader(['a "b" é'])).toBe(`299 strata: "a 'b' ?"`);
    expect(warningHeader([])).toBeUndefined();
  });

  it('It should stay within its byte budget and count what it leaves out', () => {
    const warnings = Array.from({ length: 450 }, (_, i) => `instance 2.25.${i} existed with other content; the new content is now current`);
    const header = warningHeader(warnings, 1000)!;
    expect(header.length).toBeLessThanOrEqual(1000);
    const shown = header.split(', 299').length - 1;
    expect(header).toMatch(new RegExp(`and ${450 - shown} more warnings`));
  });

  it('It should shorten a single very long warning', () => {
    expect(warningHeader(['x'.repeat(10_000)])!.length).toBeLessThan(400);
  });
});
