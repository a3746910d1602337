/**
 * Legal holds (scope legal.hold), within the caller's tenant (docs/legal-hold.md):
 * POST /holds places one (201), GET /holds lists them, GET /holds/{id} shows what one covers
 * now and its progress, POST /holds/{id}/release releases it (202: the workflow unlocks).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { NotFoundError } from '#core/errors.ts';
import { holdAuditSubjects, parseHoldRequest, type Hold } from '#core/holds/hold.ts';
import { clock } from '#adapters/clock.ts';
import { callerOf, tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { noteAuditSubject } from '#middleware/audit.ts';
import { jsonBodyOf, pathParameter, publicBaseUrl } from '#middleware/http-request.ts';
import { placeHold, releaseHold } from '#services/holds/place-hold.ts';
import { holdOf, holdsOf } from '#services/holds/read-holds.ts';

/** Hold ids are UUIDs: anything else names no hold. */
const HOLD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const id = pathParameter(event, 'id');
  if (id !== undefined && !HOLD_ID.test(id)) throw new NotFoundError(`no hold ${id.slice(0, 80)}`);
  const actor = { tenant, clientId: callerOf(event).clientId, now: clock.now() };

  if (event.httpMethod === 'GET' && id === undefined) {
    const holds = await holdsOf(tenant);
    noteAuditSubject(event, { detail: { holds: holds.length } });
    return json(200, { holds: holds.map(summary) });
  }
  if (event.httpMethod === 'GET') {
    const hold = await holdOf(tenant, id!);
    noteHold(event, hold, 'read');
    return json(200, view(hold));
  }
  if (id !== undefined) {
    const hold = await releaseHold(tenant, id, actor);
    noteHold(event, hold, 'release');
    return json(202, view(hold), { Location: `${publicBaseUrl(event)}/holds/${hold.id}` });
  }
  const hold = await placeHold(parseHoldRequest(jsonBodyOf(event, 'the body must be JSON')), randomUUID(), actor);
  noteHold(event, hold, 'place');
  return json(201, view(hold), { Location: `${publicBaseUrl(event)}/holds/${hold.id}` });
}, { audit: (event) => (event.httpMethod === 'GET' ? 'legalHoldRead' : 'legalHold') });

/** Who (the audit record's actor), when, scope and counts: the audit trail's view of a hold action. */
/** One record per patient the hold covers (holdAuditSubjects), whatever its scope: `GET /audit?patient=` finds each. */
function noteHold(event: APIGatewayProxyEvent, hold: Hold, action: 'place' | 'release' | 'read'): void {
  const detail = { holdId: hold.id, holdAction: action, scope: scopeKind(hold), studies: hold.studies.length, instances: hold.progress.instances, objectVersions: hold.progress.objectVersions };
  for (const subject of holdAuditSubjects(hold)) noteAuditSubject(event, { ...subject, detail });
}

const scopeKind = (hold: Hold) => Object.keys(hold.scope)[0]!;

function summary(hold: Hold) {
  const { studies, tenant: _tenant, subjects: _subjects, ...rest } = hold;
  return { ...rest, studyCount: studies.length, effective: effective(hold) };
}

function view(hold: Hold) {
  const { tenant: _tenant, subjects: _subjects, ...rest } = hold;
  return { ...rest, studyCount: hold.studies.length, effective: effective(hold) };
}

/** In the index a hold acts from the moment it is placed; in S3 once its workflow has locked every version. */
const effective = (hold: Hold) => ({ index: hold.status === 'active', s3: hold.progress.s3 === 'locked' });

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}) {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
