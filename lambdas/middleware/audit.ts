/**
 * Records one audit event per request, after the response is known (docs/audit.md). The
 * handler names the event kind (`httpHandler(fn, { audit: 'retrieve' })`); what the URL does not
 * say (the patient, the studies a STOW received) the handler notes with `noteAuditSubject`
 * from what its service returned.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { auditEntries, type AuditSubject } from '#core/audit/record.ts';
import type { AuditEventKind } from '#core/audit/events.ts';
import { clock } from '#adapters/clock.ts';
import { logger } from '#lambdas/observability/logger.ts';
import { recordAudit } from '#adapters/audit/record-audit.ts';
import { uidProblem } from '#core/dicom/uid.ts';
import { callerOf, tenantOf } from './caller.ts';
import { pathParameter, queryOf } from './http-request.ts';

const notes = new WeakMap<APIGatewayProxyEvent, AuditSubject[]>();

/** What the request touched, as the service learnt it (patient, studies, tenant, counts). */
export function noteAuditSubject(event: APIGatewayProxyEvent, subject: AuditSubject): void {
  if (subject.patientId === '') subject = { ...subject, patientId: undefined };
  notes.set(event, [...(notes.get(event) ?? []), subject]);
}

/** Kinds whose query string is part of what happened: the query itself (never its results). */
const QUERY_KINDS: ReadonlySet<AuditEventKind> = new Set(['query', 'auditLogUsed']);

/** Writes the request's audit records; false (logged without PHI) when the trail refused them. */
export async function auditRequest(kind: AuditEventKind, event: APIGatewayProxyEvent, requestId: string, status: number): Promise<boolean> {
  try {
    const study = studyInPath(event);
    // What a subject does not place in a tenant happened in the tenant the request acted in (an
    // administrator's ?tenant=), even when the request was refused before a service said so.
    const acting = actingTenant(event);
    const touched: AuditSubject[] = [...(notes.get(event) ?? []), ...(study ? [{ studies: [study] }] : [])];
    const subjects = (touched.length ? touched : [{}]).map((subject) => ({ ...subject, tenant: subject.tenant ?? acting }));
    const query = QUERY_KINDS.has(kind) ? new URLSearchParams(queryOf(event)).toString() : undefined;
    await recordAudit(
      auditEntries(
        {
          kind,
          at: clock.now(),
          method: event.httpMethod,
          resource: event.resource,
          status,
          requestId,
          sourceIp: event.requestContext?.identity?.sourceIp,
          caller: callerOf(event),
          query,
        },
        subjects,
      ),
    );
    return true;
  } catch (error) {
    logger.error('audit record not written', { kind, resource: event.resource, status, requestId, error: (error as Error).name });
    return false;
  }
}

/** The tenant the request acted in; the caller's own when the request named none it may name. */
function actingTenant(event: APIGatewayProxyEvent): string | undefined {
  try {
    return tenantOf(event);
  } catch {
    return undefined;
  }
}

/** The URL's Study Instance UID, when it is one (a refused hostile path names no study). */
function studyInPath(event: APIGatewayProxyEvent): string | undefined {
  try {
    const study = pathParameter(event, 'study');
    return study !== undefined && !uidProblem(study) ? study : undefined;
  } catch {
    return undefined;
  }
}
