import { describe, expect, it } from 'vitest';
import { auditCsv } from '#core/audit/csv.ts';
import { seal } from '#core/audit/hash-chain.ts';
import { daysBetween, encodeCursor, parseAuditQuery } from '#core/audit/query.ts';
import { auditEntries } from '#core/audit/record.ts';

const NOW = new Date('2026-12-01T12:00:00.000Z');

describe('GET /audit parameters', () => {
  it('default to the last day by time, and to the whole history by patient or client', () => {
    expect(parseAuditQuery([], undefined, NOW)).toMatchObject({ from: '2026-11-30T12:00:00.000Z', to: '2026-12-01T12:00:00.000Z', limit: 100, format: 'json' });
    expect(parseAuditQuery([['patient', 'P1']], undefined, NOW)).toMatchObject({ patientId: 'P1', from: '0000-01-01T00:00:00.000Z' });
  });

  it('take dates as whole days and date-times as instants', () => {
    expect(parseAuditQuery([['from', '2026-11-01'], ['to', '2026-11-02']], undefined, NOW)).toMatchObject({ from: '2026-11-01T00:00:00.000Z', to: '2026-11-02T23:59:59.999Z' });
    expect(parseAuditQuery([['from', '2026-11-01T10:00:00+01:00']], undefined, NOW).from).toBe('2026-11-01T09:00:00.000Z');
  });

  it('choose CSV by parameter or Accept', () => {
    expect(parseAuditQuery([['format', 'csv']], undefined, NOW).format).toBe('csv');
    expect(parseAuditQuery([], 'text/csv', NOW).format).toBe('csv');
  });

  it('refuse what they cannot serve with a reason', () => {
    const refusal = (pairs: [string, string][]) => {
      try {
        parseAuditQuery(pairs, undefined, NOW);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(refusal([['from', '2020-01-01']])).toMatch(/at most 366 days/);
    expect(refusal([['from', 'yesterday']])).toMatch(/ISO 8601/);
    expect(refusal([['from', '2026-12-01'], ['to', '2026-11-01']])).toMatch(/from must not be after to/);
    expect(refusal([['limit', '0']])).toMatch(/limit/);
    expect(refusal([['cursor', encodeCursor('T#other#CHAIN#0')]])).toMatch(/cursor/);
    expect(refusal([['PatientID', 'P1']])).toMatch(/unknown parameter/);
    expect(refusal([['patient', 'P1'], ['patient', 'P2']])).toMatch(/twice/);
    expect(refusal([['format', 'xml']])).toMatch(/json or csv/);
  });

  it('accept the cursor of a record', () => {
    expect(parseAuditQuery([['cursor', encodeCursor('2026-12-01T10:00:00.000Z#3#000000000042')]], undefined, NOW).after).toBe('2026-12-01T10:00:00.000Z#3#000000000042');
  });

  it('walk the days of a range', () => {
    expect(daysBetween('2026-11-30T23:00:00.000Z', '2026-12-02T01:00:00.000Z')).toEqual(['2026-11-30', '2026-12-01', '2026-12-02']);
  });
});

describe('The CSV export', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    const [entry] = auditEntries(
      { kind: 'query', at: NOW, method: 'GET', resource: '/dicom-web/studies', status: 200, requestId: 'r', sourceIp: '10.0.0.1', caller: { clientId: '=HYPERLINK("x")', tenant: 't', scopes: [] }, query: 'PatientName=DOE,JOHN' },
      [{ patientId: 'P "1"' }],
    );
    const [header, row] = auditCsv([seal(entry!, 0, undefined)]).trimEnd().split('\r\n');
    expect(header!.split(',')).toContain('patientId');
    expect(row).toContain(`"'=HYPERLINK(""x"")"`);
    expect(row).toContain('"P ""1"""');
    expect(row).toContain('"PatientName=DOE,JOHN"');
    expect(row!.startsWith('2026-12-01T12:00:00.000Z,t,110112,Query,E,0,200,GET /dicom-web/studies,')).toBe(true);
  });
});
