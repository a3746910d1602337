import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, seal, verifyChain, type SealedAuditRecord } from '#core/audit/hash-chain.ts';
import { auditEntries } from '#core/audit/record.ts';

const entry = (status: number, n: number) =>
  auditEntries(
    { kind: 'retrieve', at: new Date(Date.UTC(2026, 11, 1, 10, 0, n)), method: 'GET', resource: '/dicom-web/studies/{study}', status, requestId: `r${n}`, sourceIp: '10.0.0.1', caller: { clientId: 'pacs', tenant: 't1', scopes: ['dicom.read'] } },
    [{ patientId: 'P1', studies: ['1.2.3'] }],
  )[0]!;

function chain(length: number): SealedAuditRecord[] {
  const records: SealedAuditRecord[] = [];
  for (let n = 0; n < length; n++) records.push(seal(entry(200, n), 2, records.at(-1)));
  return records;
}

describe('The audit hash chain', () => {
  it('links each record to the previous one from the genesis hash, numbering from 1', () => {
    const records = chain(3);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    expect(records[2]!.prevHash).toBe(records[1]!.hash);
    expect(verifyChain(2, records, undefined)).toEqual({ problems: [], last: { seq: 3, hash: records[2]!.hash } });
  });

  it('continues a verification from the last record of the previous page', () => {
    const records = chain(5);
    const first = verifyChain(2, records.slice(0, 2), undefined);
    expect(verifyChain(2, records.slice(2), first.last).problems).toEqual([]);
  });

  it('finds an altered field, a removed record, a re-sealed record and a record moved between shards', () => {
    const records = chain(5);
    const altered = records.map((r, i) => (i === 1 ? { ...r, status: 299 } : r));
    expect(verifyChain(2, altered, undefined).problems).toEqual([{ shard: 2, seq: 2, problem: 'altered' }]);
    const nested = records.map((r, i) => (i === 1 ? { ...r, actor: { ...r.actor, clientId: 'someone-else' } } : r));
    expect(verifyChain(2, nested, undefined).problems).toEqual([{ shard: 2, seq: 2, problem: 'altered' }]);
    expect(verifyChain(2, [records[0]!, ...records.slice(2)], undefined).problems).toEqual([{ shard: 2, seq: 2, problem: 'missing records' }]);
    // Rewritten with a fresh hash of its own: its successor's link no longer holds.
    const resealed = [...records];
    resealed[1] = seal({ ...entry(299, 1) }, 2, records[0]);
    expect(verifyChain(2, resealed, undefined).problems).toEqual([{ shard: 2, seq: 3, problem: 'broken link' }]);
    expect(verifyChain(3, records.slice(0, 1), undefined).problems).toEqual([{ shard: 3, seq: 1, problem: 'altered' }]);
  });

  it('hashes a canonical form: key order does not matter, values do', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    const [record] = chain(1);
    const reordered = Object.fromEntries(Object.entries(record!).reverse()) as SealedAuditRecord;
    expect(verifyChain(2, [reordered], undefined).problems).toEqual([]);
  });
});
