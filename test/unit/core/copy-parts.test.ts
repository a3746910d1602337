/** Planning a server-side copy in parts (core/copy-parts.ts): CopyObject stops at 5 GB, UploadPartCopy ranges take over. */
import { describe, expect, it } from 'vitest';
import { copyParts, DEFAULT_PART_BYTES, MAX_SINGLE_COPY_BYTES, needsPartCopy } from '#core/copy-parts.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Whether the ranges are consecutive from byte 0 and end at the last byte. */
const covers = (parts: { partNumber: number; range: string }[], size: number) => {
  let next = 0;
  for (const [index, part] of parts.entries()) {
    const [start, end] = part.range.replace('bytes=', '').split('-').map(Number);
    if (part.partNumber !== index + 1 || start !== next || end! < start!) return false;
    next = end! + 1;
  }
  return next === size;
};

describe('copy in parts', () => {
  it('is chosen above CopyObject\'s 5 GB and not at it', () => {
    expect(needsPartCopy(MAX_SINGLE_COPY_BYTES)).toBe(false);
    expect(needsPartCopy(MAX_SINGLE_COPY_BYTES + 1)).toBe(true);
    expect(needsPartCopy(200 * MiB)).toBe(false);
    expect(needsPartCopy(10 * MiB, 8 * MiB)).toBe(true);
  });

  it('covers every byte once in 1 GiB parts, the last one shorter', () => {
    const size = 5 * GiB + 1;
    const parts = copyParts(size);
    expect(parts).toHaveLength(6);
    expect(parts[0]).toEqual({ partNumber: 1, range: `bytes=0-${GiB - 1}` });
    expect(parts[5]).toEqual({ partNumber: 6, range: `bytes=${5 * GiB}-${5 * GiB}` });
    expect(covers(parts, size)).toBe(true);
  });

  it('copies S3\'s largest object (5 TiB) in 5,120 parts of 1 GiB, within the 10,000 allowed, and nothing larger', () => {
    const size = 5 * 1024 * GiB;
    expect(DEFAULT_PART_BYTES).toBe(GiB);
    const parts = copyParts(size);
    expect(parts).toHaveLength(5_120);
    expect(covers(parts, size)).toBe(true);
    expect(() => copyParts(size + 1)).toThrow(/5 TiB/);
  });

  it('refuses parts S3 would refuse', () => {
    expect(() => copyParts(6 * GiB, 6 * GiB)).toThrow(/at most 5 GiB/);
    expect(() => copyParts(20 * MiB, 4 * MiB)).toThrow(/at least 5 MiB/);
    expect(() => copyParts(60 * GiB, 5 * MiB)).toThrow(/12,288|10,000 parts/);
    expect(() => copyParts(0)).toThrow(/at least 1 byte/);
    // One part smaller than 5 MiB is the whole (small) object: allowed.
    expect(copyParts(3 * MiB, 8 * MiB)).toEqual([{ partNumber: 1, range: `bytes=0-${3 * MiB - 1}` }]);
  });
});
