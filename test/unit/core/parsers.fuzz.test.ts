import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StrataError } from '#core/errors.ts';
import { readInstance } from '#core/dicom/read-instance.ts';
import { readPart10Structure } from '#core/dicom/part10-structure.ts';
import { parseAccept } from '#core/dicomweb/accept.ts';
import { parseMediaType } from '#core/dicomweb/media-type.ts';
import { compileFilters } from '#core/qido/matching.ts';
import { planQuery } from '#core/qido/query-plan.ts';
import { parseQidoQuery } from '#core/qido/query-params.ts';
import { CT_SMALL, fixture } from '#test/helpers/dicom.ts';

/** Untrusted input must give a result or a StrataError (a clear 4xx / failure reason), never a crash. */
function resultOrStrataError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof StrataError)) throw error;
  }
}

/** A fixed seed: `npm test` is repeatable; `npm run fuzz` explores with random ones. */
const FUZZ_SEED = 20261201;

const valid = fixture(CT_SMALL.file);
// One of each encoding: explicit LE, implicit LE, explicit BE, deflated, encapsulated RLE, sequences.
const samples = [valid, ...['MR_small_implicit.dcm', 'MR_small_bigendian.dcm', 'image_dfl.dcm', 'SC_rgb_rle_2frame.dcm', 'test-SR.dcm'].map(fixture)];
const keywords = ['PatientName', 'PatientID', 'StudyDate', 'StudyTime', 'ModalitiesInStudy', 'StudyInstanceUID', '00100010', 'SOPInstanceUID', 'includefield', 'limit', 'offset', 'fuzzymatching', '00400275.00401001', 'Nonsense'];

describe('Parsers of untrusted input (fuzz)', () => {
  it('reads any truncation or corruption of valid instances as an instance or a DicomParseError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.double({ min: 0, max: 1, noNaN: true }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (sample, keep, flips) => {
        const bytes = Buffer.from(sample.subarray(0, Math.round(sample.length * keep)));
        for (const [at, value] of flips) if (bytes.length) bytes[at % bytes.length] = value;
        resultOrStrataError(() => readPart10Structure(bytes));
        resultOrStrataError(() => readInstance(bytes));
      }),
      { numRuns: 300, seed: FUZZ_SEED },
    );
  });

  it('reads any bytes after a DICM prefix as an instance or a DicomParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
        const bytes = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from(tail)]);
        resultOrStrataError(() => readInstance(bytes));
      }),
      { numRuns: 300, seed: FUZZ_SEED },
    );
  });

  it('plans and compiles any QIDO query, or refuses it with a 400', () => {
    const pair = fc.tuple(fc.constantFrom(...keywords), fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('*', 'DOE^J*', '20200101-', '-2020', '1.2,3.4', '10-12', '')));
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 6 }), fc.constantFrom('study', 'series', 'instance'), fc.boolean(), (pairs, level, scoped) => {
        resultOrStrataError(() => {
          const query = parseQidoQuery(pairs);
          planQuery(level as 'study', scoped ? { study: '1.2.3' } : {}, query.filters, query.fuzzy);
          const matchers = compileFilters(query.filters, query.fuzzy);
          for (const match of matchers) match({ '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JOHN' }] }, '00080020': { vr: 'DA', Value: ['20200101'] } });
        });
      }),
      { numRuns: 500, seed: FUZZ_SEED },
    );
  });

  it('parses any media type or Accept header without throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (header) => {
        parseMediaType(header);
        parseAccept(header);
      }),
    );
  });

  it('still reads the valid instance it corrupts', () => {
    expect(readInstance(valid).sopInstanceUID).toBe(CT_SMALL.sop);
  });
});
