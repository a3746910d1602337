import { describe, expect, it } from 'vitest';
import { parseQidoQuery } from '#core/qido/query-params.ts';
import { responseDataset } from '#core/qido/result-attributes.ts';
import { instancePrivateAttributes } from '#core/qido/private-attributes.ts';

const SHA = 'ab'.repeat(32);
const view = { '00080018': { vr: 'UI', Value: ['1.2.3'] }, '00100010': { vr: 'PN', Value: [{ Alphabetic: 'A^B' }] }, ...instancePrivateAttributes(SHA) };

describe("Strata's private QIDO attributes", () => {
  it('are returned, with their Private Creator, only when asked for by tag', () => {
    const asked = responseDataset(view, ['instance'], parseQidoQuery([['includefield', '00091001']]));
    expect(asked['00091001']).toEqual({ vr: 'LO', Value: [SHA] });
    expect(asked['00090010']).toEqual({ vr: 'LO', Value: ['STRATA 1'] });
    const plain = responseDataset(view, ['instance'], parseQidoQuery([]));
    expect(Object.keys(plain).filter((tag) => tag.startsWith('0009'))).toEqual([]);
  });

  it('are not part of includefield=all, and raise no "unknown includefield" warning when asked for', () => {
    const all = responseDataset(view, ['instance'], parseQidoQuery([['includefield', 'all']]));
    expect(all['00091001']).toBeUndefined();
    expect(all['00100010']).toBeDefined();
    expect(parseQidoQuery([['includefield', '00091001']]).warnings).toEqual([]);
  });
});
