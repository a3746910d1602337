import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceIdentityFromKey, instanceObjectKey, Keys } from '#core/index-keys.ts';

const uid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 2, maxLength: 12 }).map((parts) => parts.join('.'));

describe('Index and object keys', () => {
  it('recover the instance identity from any object key they build', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,20}$/), uid, uid, uid, fc.stringMatching(/^[0-9a-f]{64}$/), (tenant, study, series, sop, sha) => {
        const id = { tenant, study, series, sop };
        expect(instanceIdentityFromKey(instanceObjectKey(id, sha))).toEqual({ ...id, sha256: sha });
      }),
    );
  });

  it('put every item of a study, its series and instances in one partition that starts with the tenant', () => {
    const id = { tenant: 'acme', study: '1.2', series: '3.4', sop: '5.6' };
    expect(Keys.study('acme', '1.2').pk).toBe('T#acme#S#1.2');
    expect(Keys.series('acme', '1.2', '3.4').pk).toBe(Keys.study('acme', '1.2').pk);
    expect(Keys.instance(id)).toEqual({ pk: 'T#acme#S#1.2', sk: 'INST#3.4#5.6' });
    expect(Keys.instance(id).sk.startsWith(Keys.instancesOfSeriesPrefix('3.4'))).toBe(true);
  });

  it('ignore keys that are not instance objects', () => {
    expect(instanceIdentityFromKey('acme/reports/x.json')).toBeUndefined();
  });
});
