/** The bucket's index records for a rebuild (core/dr/ledger.ts): keys, newest revisions, items as JSON. */
import { describe, expect, it } from 'vitest';
import { decodeItems, dispositionLedgerKey, encodeItems, holdLedgerEntry, holdLedgerKey, isDispositionLedgerKey, newestHoldRevisions, vaultRecordKey } from '#core/dr/ledger.ts';

describe('hold ledger keys', () => {
  it('name the tenant, the hold and a zero-padded revision, and read back', () => {
    expect(holdLedgerKey('t1', 'h-1', 12)).toBe('holds/t1/h-1/0000000012.json');
    expect(holdLedgerEntry('holds/t1/h-1/0000000012.json')).toEqual({ tenant: 't1', holdId: 'h-1', revision: 12 });
    for (const other of ['t1/studies/1.2/1.2.3/1.2.3.4/ab.dcm', 'holds/t1/h-1/latest.json', 'holds/t1/0000000001.json', 'disposition/t1/x/ledger.json']) expect(holdLedgerEntry(other)).toBeUndefined();
  });

  it('keep the newest revision of each hold, whatever the order (revision 10 after 9, not after 1)', () => {
    const keys = [holdLedgerKey('t1', 'a', 9), holdLedgerKey('t1', 'a', 10), holdLedgerKey('t1', 'a', 1), holdLedgerKey('t2', 'a', 2), 'holds/t1/a/notes.txt'];
    expect(newestHoldRevisions(keys).sort()).toEqual([holdLedgerKey('t1', 'a', 10), holdLedgerKey('t2', 'a', 2)]);
  });
});

describe('disposition records', () => {
  it('a run\'s record beside its report; a vault record per study whatever the run', () => {
    expect(dispositionLedgerKey('t1', 'run-1')).toBe('disposition/t1/run-1/ledger.json');
    expect(isDispositionLedgerKey('disposition/t1/run-1/ledger.json')).toBe(true);
    for (const other of ['disposition/t1/run-1/report.json', 'disposition/t1/vault/1.2.3.json', 'disposition/t1/run-1/x/ledger.json']) expect(isDispositionLedgerKey(other)).toBe(false);
    expect(vaultRecordKey('t1', '1.2.3')).toBe('disposition/t1/vault/1.2.3.json');
  });
});

describe('index items as JSON', () => {
  it('keep string and number sets as sets, and everything else as it was', () => {
    const items = [{ pk: 'T#t#S#1', sk: 'STUDY', holds: new Set(['h1', 'h2']), sizes: new Set([1, 2]), nested: { a: [1, { $set: 'not a set: two keys', b: 1 }] }, n: 3 }];
    const back = decodeItems(encodeItems(items));
    expect(back).toEqual(items);
    expect(back[0]!.holds).toBeInstanceOf(Set);
    expect(back[0]!.nested).toEqual({ a: [1, { $set: 'not a set: two keys', b: 1 }] });
  });
});
