import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { instanceIdentityFromKey, instanceObjectKey, instanceOfSortKey, Keys, metadataObjectKey, oversizedKeyValue, studyOfPartition } from '#core/index-keys.ts';

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

describe('Keys read back and key-size limits (docs/data-model.md)', () => {
  const id = { tenant: 't1', study: '1.2', series: '1.2.3', sop: '1.2.3.4' };
  const digest = 'ab'.repeat(32);

  it('reads the study of a partition key and the series and SOP of an instance sort key', () => {
    expect(studyOfPartition('T#t1#S#1.2.840.5')).toBe('1.2.840.5');
    expect(instanceOfSortKey('INST#1.2.3#1.2.3.4')).toEqual({ series: '1.2.3', sop: '1.2.3.4' });
    expect(instanceOfSortKey('INST')).toEqual({ series: '', sop: '' });
  });

  it('keeps metadata under <tenant>/metadata/studies/…/<sha256>.json, apart from the bytes', () => {
    expect(metadataObjectKey(id, digest)).toBe(`t1/metadata/studies/1.2/series/1.2.3/instances/1.2.3.4/${digest}.json`);
  });

  it('recognises only whole instance object keys', () => {
    const key = `t1/studies/1.2/series/1.2.3/instances/1.2.3.4/${digest}.dcm`;
    expect(instanceIdentityFromKey(key)).toEqual({ ...id, sha256: digest });
    expect(instanceIdentityFromKey(`x/${key}`)).toBeUndefined();
    expect(instanceIdentityFromKey(`${key}.bak`)).toBeUndefined();
    expect(instanceIdentityFromKey(metadataObjectKey(id, digest))).toBeUndefined();
  });

  it('refuses a keyed value or a name word over 1,024 bytes, and accepts 1,024', () => {
    const value = (n: number) => ({ Value: ['x'.repeat(n)] });
    expect(oversizedKeyValue({ '00100020': value(1024), '00080050': value(1024) }, ['y'.repeat(1024)])).toBeUndefined();
    expect(oversizedKeyValue({}, [])).toBeUndefined();
    expect(oversizedKeyValue({ '00100020': {} }, [])).toBeUndefined();
    expect(oversizedKeyValue({ '00080050': value(1025) }, [])).toBe('AccessionNumber (0008,0050) is 1025 bytes long; values that key the index may have at most 1024');
    expect(oversizedKeyValue({ '00100020': { Value: ['é'.repeat(513)] } }, [])).toBe('PatientID (0010,0020) is 1026 bytes long; values that key the index may have at most 1024');
    expect(oversizedKeyValue({}, ['short', 'z'.repeat(1025)])).toBe('PatientName (0010,0010) has a 1025-byte word; values that key the index may have at most 1024');
  });
});
