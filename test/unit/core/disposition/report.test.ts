import { describe, expect, it } from 'vitest';
import { examineBefore, objectsOfItems, staleness } from '#core/disposition/disposition-run.ts';
import { reportCsv, summarize, type ReportRow } from '#core/disposition/report.ts';
import { fromVault, toVault } from '#core/disposition/study-vault.ts';

const row = (over: Partial<ReportRow>): ReportRow => ({ study: '1.2.3', outcome: 'eligible', instances: 1, bytes: 100, tiers: { STANDARD: 100 }, monthlyCost: 0.004, ...over });

describe('the disposition report', () => {
  it('sums eligible studies per tier and counts spared ones per safety net', () => {
    const summary = summarize(
      [row({ tiers: { STANDARD: 100, GLACIER_IR: 50 }, bytes: 150 }), row({ study: '1.2.4', tiers: { DEEP_ARCHIVE: 10 }, bytes: 10, monthlyCost: 0.001 }), row({ study: '1.2.5', outcome: 'spared', safetyNet: 'legal-hold', bytes: 999 })],
      { policyVersion: 3, evaluatedAt: '2030-01-01T00:00:00.000Z', examined: 9, retained: 6, priceSource: 'p' },
    );
    expect(summary).toMatchObject({ examined: 9, eligible: 2, spared: 1, retained: 6, bytes: 160, instances: 2, monthlySavingUsd: 0.01, sparedBy: { 'legal-hold': 1 } });
    expect(summary.bytesByTier).toEqual({ STANDARD: 100, GLACIER_IR: 50, DEEP_ARCHIVE: 10 });
    expect(summary.studiesByTier).toEqual({ STANDARD: 1, GLACIER_IR: 1, DEEP_ARCHIVE: 1 });
  });

  it('writes RFC 4180 CSV and never a spreadsheet formula', () => {
    const csv = reportCsv([row({ outcome: 'spared', safetyNet: 'unreliable-dates', reason: 'a "quoted", reason' }), row({ rule: '=HYPERLINK("x")' })]);
    const lines = csv.split('\r\n');
    expect(lines[1]).toBe('1.2.3,spared,,,,unreliable-dates,"a ""quoted"", reason",,,,1,100');
    expect(lines[2]).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv.endsWith('\r\n')).toBe(true);
  });
});

describe('run decisions', () => {
  it('examines studies dated up to the shortest adult period ago, that day included', () => {
    const retention = { recoveryWindow: '30d', rules: [{ id: 'a', match: { tenants: ['x'] }, adults: '6y', minors: { untilAge: '18y', plus: '0y' } }, { id: 'b', match: {}, adults: '10y', minors: { untilAge: '18y', plus: '0y' } }] };
    expect(examineBefore(retention, new Date('2030-06-15T10:00:00Z'))).toBe('20240616');
    expect(examineBefore(undefined, new Date())).toBe('00000000');
  });

  it('a report is stale when the policy version changed or a study came under hold', () => {
    expect(staleness({ policyVersion: 2 }, { policyVersion: 2, heldStudies: 0 })).toBeUndefined();
    expect(staleness({ policyVersion: 2 }, { policyVersion: 3, heldStudies: 0 })).toMatch(/version 2, now 3/);
    expect(staleness({ policyVersion: 2 }, { policyVersion: 2, heldStudies: 2 })).toMatch(/2 of the report's studies came under legal hold/);
  });

  it("names every version's bytes and metadata document, with their checksums", () => {
    const sha = (c: string) => c.repeat(64);
    const { keys, checksums } = objectsOfItems('t', '1.2', [
      { sk: 'STUDY' },
      { sk: 'INST#1.2.1#1.2.1.1', objectKey: 'k1', sha256: sha('b') },
      { sk: `VER#1.2.1#1.2.1.1#${sha('a')}`, objectKey: 'k0', sha256: sha('a') },
    ]);
    expect(keys).toEqual(['k1', `t/metadata/studies/1.2/series/1.2.1/instances/1.2.1.1/${sha('b')}.json`, 'k0', `t/metadata/studies/1.2/series/1.2.1/instances/1.2.1.1/${sha('a')}.json`]);
    expect(checksums).toEqual([sha('a'), sha('b')]);
  });

  it('the vault keeps sort keys and GSI keys aside, and gives back exactly the item', () => {
    const item = { pk: 'T#t#S#1.2', sk: 'STUDY', gsi3pk: 'T#t#STUDIES', gsi3sk: '20100101#1.2', dicom: '{}', nInstances: 1 };
    const vaulted = toVault(item, 't', '1.2', 'disp-1');
    expect(vaulted).toEqual({ pk: 'T#t#DISPOSED#1.2', sk: 'STUDY', dicom: '{}', nInstances: 1, hiddenKeys: { gsi3pk: 'T#t#STUDIES', gsi3sk: '20100101#1.2' }, disposition: 'disp-1' });
    expect(fromVault(vaulted, 't', '1.2')).toEqual(item);
  });
});
