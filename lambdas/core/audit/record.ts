/**
 * One audit record: who did what to which patient's data, when, from where, with what outcome.
 * Built from facts the HTTP layer and the services already know; the time and the chain link
 * are passed in (core reads no clock).
 */
import { AUDIT_EVENTS, outcomeOf, type AuditEventKind, type EventActionCode, type EventOutcome } from './events.ts';
import { ADMIN_SCOPE } from '#core/identity/scopes.ts';

export interface AuditActor {
  /** The OAuth2 client (token `client_id`). */
  readonly clientId: string;
  /** The caller's own tenant (token `tenant` claim). */
  readonly tenant: string;
  /** Whether the token carried the `admin` scope. */
  readonly admin: boolean;
  /** An administrator acting on another tenant's data. */
  readonly acrossTenants: boolean;
}

/** What a request touched, as far as the service learnt it. */
export interface AuditSubject {
  /** The tenant whose data was touched, when not the caller's (an administrator's cross-tenant request). */
  readonly tenant?: string | undefined;
  readonly patientId?: string | undefined;
  readonly studies?: readonly string[] | undefined;
  /** Counts and the like (instances deleted, …): numbers and short strings, no free text. */
  readonly detail?: Readonly<Record<string, string | number>> | undefined;
}

export interface AuditEntry {
  /** The tenant whose data was touched: the trail it is kept in. */
  readonly tenant: string;
  /** ISO 8601 UTC, milliseconds. */
  readonly at: string;
  readonly kind: AuditEventKind;
  /** CID 400 code and meaning (DCM). */
  readonly eventId: string;
  readonly eventMeaning: string;
  readonly action: EventActionCode;
  readonly outcome: EventOutcome;
  readonly status: number;
  /** `METHOD /resource/{template}`: which API operation (the UIDs are in `studies`). */
  readonly route: string;
  readonly actor: AuditActor;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly patientId?: string;
  readonly studies: readonly string[];
  /** QIDO and audit queries: the query parameters as sent (the query, never its results). */
  readonly query?: string;
  readonly detail?: Readonly<Record<string, string | number>>;
}

export interface RequestFacts {
  readonly kind: AuditEventKind;
  readonly at: Date;
  readonly method: string;
  readonly resource: string;
  readonly status: number;
  readonly requestId: string;
  readonly sourceIp: string | undefined;
  readonly caller: { clientId: string; tenant: string; scopes: readonly string[] };
  readonly query?: string | undefined;
}

/** One entry per patient touched (a STOW may carry several), or one without a patient. */
export function auditEntries(facts: RequestFacts, subjects: readonly AuditSubject[]): AuditEntry[] {
  const type = AUDIT_EVENTS[facts.kind];
  const base = {
    at: facts.at.toISOString(),
    kind: facts.kind,
    eventId: type.code,
    eventMeaning: type.meaning,
    action: type.action,
    outcome: outcomeOf(facts.kind, facts.status),
    status: facts.status,
    route: `${facts.method} ${facts.resource}`,
    sourceIp: facts.sourceIp ?? 'unknown',
    requestId: facts.requestId,
    ...(facts.query ? { query: facts.query } : {}),
  };
  const admin = facts.caller.scopes.includes(ADMIN_SCOPE);
  const groups = groupByPatient(subjects, facts.caller.tenant);
  return groups.map((group) => ({
    ...base,
    tenant: group.tenant,
    actor: { clientId: facts.caller.clientId, tenant: facts.caller.tenant, admin, acrossTenants: group.tenant !== facts.caller.tenant },
    ...(group.patientId !== undefined ? { patientId: group.patientId } : {}),
    studies: [...group.studies].sort(),
    ...(group.detail ? { detail: group.detail } : {}),
  }));
}

interface Group {
  tenant: string;
  patientId: string | undefined;
  studies: Set<string>;
  detail: Record<string, string | number> | undefined;
}

/**
 * Subjects merged per (tenant, patient). A subject without a patient (a study whose patient is
 * not known, as in a 404) joins a group of its tenant if there is one, else stands alone.
 */
function groupByPatient(subjects: readonly AuditSubject[], callerTenant: string): Group[] {
  const groups = new Map<string, Group>();
  const groupOf = (tenant: string, patientId: string | undefined): Group => {
    const key = JSON.stringify([tenant, patientId ?? null]);
    const group = groups.get(key) ?? { tenant, patientId, studies: new Set<string>(), detail: undefined };
    groups.set(key, group);
    return group;
  };
  const add = (group: Group, subject: AuditSubject) => {
    for (const study of subject.studies ?? []) group.studies.add(study);
    if (subject.detail) group.detail = { ...group.detail, ...subject.detail };
  };
  const known = subjects.filter((subject) => subject.patientId !== undefined);
  for (const subject of known) add(groupOf(subject.tenant ?? callerTenant, subject.patientId), subject);
  for (const subject of subjects.filter((s) => s.patientId === undefined)) {
    const tenant = subject.tenant ?? callerTenant;
    add([...groups.values()].find((group) => group.tenant === tenant) ?? groupOf(tenant, undefined), subject);
  }
  if (groups.size === 0) groupOf(callerTenant, undefined);
  return [...groups.values()];
}
