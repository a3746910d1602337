/**
 * WADO-RS conversion holds an instance whole: above the budget only the stored transfer syntax is
 * served, whatever its size, so a default Accept cannot exhaust a data plane task's memory.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CONVERTED_INSTANCE_BYTES, servable } from '#services/retrieve-instances.ts';

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const record = (size: number, transferSyntaxUID = IMPLICIT_LE) => ({ size, transferSyntaxUID, instance: {} });

describe('the conversion budget of WADO-RS', () => {
  it('converts an Implicit VR instance up to the budget and refuses one byte more', () => {
    expect(servable(record(MAX_CONVERTED_INSTANCE_BYTES), EXPLICIT_LE)).toBe(true);
    expect(servable(record(MAX_CONVERTED_INSTANCE_BYTES + 1), EXPLICIT_LE)).toBe(false);
  });

  it('serves an instance of any size as stored', () => {
    expect(servable(record(5 * 1024 ** 3), '*')).toBe(true);
    expect(servable(record(5 * 1024 ** 3, EXPLICIT_LE), EXPLICIT_LE)).toBe(true);
  });
});
