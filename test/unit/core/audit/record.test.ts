import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { AUDIT_EVENTS, failsClosed, outcomeOf } from '#core/audit/events.ts';
import { auditEntries, type RequestFacts } from '#core/audit/record.ts';
import { patientIdOfQuery, subjectsOf } from '#core/audit/subjects.ts';
import { callerOf } from '#middleware/caller.ts';

/** A proxy event carrying the verified token's claims, as the authorizer passes them. */
const eventWithClaims = (claims: Record<string, string>) => ({ requestContext: { authorizer: { claims } } }) as unknown as APIGatewayProxyEvent;

const facts = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  kind: 'retrieve',
  at: new Date('2026-12-01T10:00:00.000Z'),
  method: 'GET',
  resource: '/dicom-web/studies/{study}',
  status: 200,
  requestId: 'req-1',
  sourceIp: '198.51.100.7',
  caller: callerOf(eventWithClaims({ client_id: 'st-marys-pacs', tenant: 'st-marys', scope: 'strata/dicom.read' })),
  ...overrides,
});

describe('Audit records', () => {
  it('say who, what, which patient, when, from where and with what outcome', () => {
    expect(auditEntries(facts(), [{ patientId: 'P1', studies: ['1.2.3'] }])).toEqual([
      {
        tenant: 'st-marys',
        at: '2026-12-01T10:00:00.000Z',
        kind: 'retrieve',
        eventId: '110104',
        eventMeaning: 'DICOM Instances Transferred',
        action: 'R',
        outcome: 0,
        status: 200,
        route: 'GET /dicom-web/studies/{study}',
        actor: { clientId: 'st-marys-pacs', tenant: 'st-marys', admin: false, acrossTenants: false },
        sourceIp: '198.51.100.7',
        requestId: 'req-1',
        patientId: 'P1',
        studies: ['1.2.3'],
      },
    ]);
  });

  it('flag an administrator acting on another tenant', () => {
    const admin = callerOf(eventWithClaims({ client_id: 'ops', tenant: 'operator', scope: 'strata/admin strata/dicom.read' }));
    const [record] = auditEntries(facts({ kind: 'auditLogUsed', caller: admin }), [{ tenant: 'st-marys', patientId: 'P1' }]);
    expect(record!.tenant).toBe('st-marys');
    expect(record!.actor).toEqual({ clientId: 'ops', tenant: 'operator', admin: true, acrossTenants: true });
    expect(auditEntries(facts({ caller: admin }), [])[0]!.actor.acrossTenants).toBe(false);
  });

  it('keep one record per patient, and join a subject of unknown patient to the request', () => {
    const records = auditEntries(facts({ kind: 'store', method: 'POST', status: 200 }), [
      { patientId: 'P1', studies: ['1.1'] },
      { patientId: 'P2', studies: ['2.1'] },
      { patientId: 'P1', studies: ['1.2'] },
      { studies: ['1.1'] },
    ]);
    expect(records.map((r) => [r.patientId, r.studies])).toEqual([
      ['P1', ['1.1', '1.2']],
      ['P2', ['2.1']],
    ]);
    expect(auditEntries(facts({ status: 404 }), [{ studies: ['9.9'] }]).map((r) => [r.patientId, r.studies, r.outcome])).toEqual([[undefined, ['9.9'], 4]]);
  });

  it('map HTTP statuses to ATNA outcomes, a partial STOW being a minor failure', () => {
    expect([200, 204, 304, 400, 404, 409, 500, 503].map((status) => outcomeOf('retrieve', status))).toEqual([0, 0, 0, 4, 4, 4, 8, 8]);
    expect(outcomeOf('store', 202)).toBe(4);
    expect(outcomeOf('adminWorkflow', 202)).toBe(0);
  });

  it('refuse reads and queries that cannot be recorded, and never creations or deletions', () => {
    const closed = (Object.keys(AUDIT_EVENTS) as (keyof typeof AUDIT_EVENTS)[]).filter(failsClosed);
    expect(closed).toEqual(['query', 'retrieve', 'deletionStatus', 'adminWorkflow', 'restoreStatus', 'disposition', 'auditLogUsed', 'legalHoldRead', 'discoveryExport', 'securityAlert', 'uploadStatus']);
  });

  it('take the patient from the index record, and from a query only when it names one patient', () => {
    const record = (study: string, patient?: string) => ({ id: { study }, study: patient === undefined ? {} : { '00100020': { vr: 'LO', Value: [patient] } } });
    expect(subjectsOf([record('1.1', 'P1'), record('1.2', 'P1'), record('2.1')])).toEqual([
      { patientId: 'P1', studies: ['1.1', '1.2'] },
      { patientId: undefined, studies: ['2.1'] },
    ]);
    expect(patientIdOfQuery([['PatientID', 'P1']])).toBe('P1');
    expect(patientIdOfQuery([['00100020', 'P1']])).toBe('P1');
    expect(patientIdOfQuery([['PatientID', 'P*']])).toBeUndefined();
    expect(patientIdOfQuery([['PatientID', 'P1,P2']])).toBeUndefined();
    expect(patientIdOfQuery([['PatientName', 'DOE']])).toBeUndefined();
  });
});
