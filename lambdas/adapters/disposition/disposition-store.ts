/**
 * A disposition run in the index: its own item (`T#<t>#DISP#<id>` / `RUN`: status, policy
 * version, summary, cursors, approval) and one item per study it examined (`STUDY#<uid>`:
 * the report row and what was done to the study). Each step advances its cursor with a write
 * conditional on the cursor it started from, so a retried step never counts a page twice.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { Keys } from '#core/index-keys.ts';
import type { ReportRow, ReportSummary } from '#core/disposition/report.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { appliedIf } from '#adapters/conditional-write.ts';
import { queryIndex } from '#adapters/index-query.ts';

export type RunStatus = 'EVALUATING' | 'AWAITING_APPROVAL' | 'APPROVED' | 'REJECTED' | 'EXECUTING' | 'RECOVERABLE' | 'PURGING' | 'PURGED' | 'FAILED';

/** Why a run is FAILED: the phase a step failed in after its retries, the status it had then, and the error. */
export interface RunFailure {
  phase: Phase;
  /** The run's status when the step failed: a resume sets it back. */
  status: RunStatus;
  error: string;
  cause: string;
  at: string;
  /** The execution that failed: a retried record of the same failure is recognised by it. */
  execution: string;
}
export type Phase = 'evaluate' | 'execute' | 'purge';

export interface DispositionRun {
  tenant: string;
  id: string;
  status: RunStatus;
  policyVersion: number;
  /** Studies dated before this (YYYYMMDD) are examined. */
  examineBefore: string;
  evaluatedAt: string;
  requestedBy: string;
  recoveryWindow: string;
  certificateRetention: string;
  summary?: ReportSummary;
  reportKeys?: { json: string; csv: string };
  taskToken?: string | undefined;
  approvedBy?: string;
  approvedAt?: string;
  rejectedBy?: string;
  recoverUntil?: string;
  certificateKey?: string;
  /** Progress per phase: the cursor and the tallies so far. */
  cursors?: Partial<Record<Phase, string>>;
  done?: Partial<Record<Phase, boolean>>;
  examined?: number;
  retained?: number;
  /** Set while the run is FAILED. */
  failure?: RunFailure | undefined;
  /** How many times a step of the run failed after its retries (each failure is resumed once, by its number). */
  failures?: number;
  resumedBy?: string;
  resumedAt?: string;
}

/**
 * `refused`: the purge of the study stopped partway — S3 refused a deletion (Object Lock placed after the
 * look-up), or a retried purge found a hold or a lock after an earlier attempt had begun destroying it;
 * what is left, and its index entries (in the vault), stay.
 */
export type StudyState = 'eligible' | 'spared' | 'soft-deleted' | 'skipped' | 'restored' | 'purged' | 'kept' | 'refused';

export interface DispositionStudy extends ReportRow {
  state: StudyState;
  /** Why the re-check before acting kept the study, or why a purge kept it. */
  keptBecause?: string;
  softDeletedAt?: string;
  restoredAt?: string;
  purgedAt?: string;
  /** SHA-256 of every destroyed version (certificate of destruction). */
  checksums?: string[];
  /** Versions and delete markers of the study's objects in each copy (`archive`, `dr-replica`), counted before the purge destroyed them. */
  versions?: Record<string, number>;
  /** Versions left in each copy when S3 refused a deletion (state `refused`). */
  remaining?: Record<string, number>;
}

const db = documentClient;
const table = () => config.indexTable();

export async function createRun(run: DispositionRun): Promise<void> {
  await db().send(new PutCommand({ TableName: table(), Item: { ...Keys.dispositionRun(run.tenant, run.id), ...runListing(run), type: 'disposition', ...run, cursors: {}, done: {}, examined: 0, retained: 0 }, ConditionExpression: 'attribute_not_exists(pk)' })).catch((error: unknown) => {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  });
}

/** GSI3 keys of a run item: the tenant's runs, newest first (GET /dispositions). */
const runListing = (run: DispositionRun) => ({ gsi3pk: Keys.dispositionsOfTenant(run.tenant), gsi3sk: `${run.evaluatedAt}#${run.id}` });

const runOfItem = (item: Record<string, unknown>): DispositionRun => {
  const { pk: _, sk: __, type: ___, gsi3pk: ____, gsi3sk: _____, ...run } = item;
  return run as unknown as DispositionRun;
};

export async function getRun(tenant: string, id: string): Promise<DispositionRun | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: table(), Key: Keys.dispositionRun(tenant, id), ConsistentRead: true }));
  return Item ? runOfItem(Item) : undefined;
}

/** The tenant's runs, newest first (GSI3, eventually consistent), at most `limit`. */
export async function latestRuns(tenant: string, limit: number): Promise<DispositionRun[]> {
  const runs: DispositionRun[] = [];
  for await (const item of queryIndex({
    IndexName: 'gsi3',
    KeyConditionExpression: 'gsi3pk = :pk',
    ExpressionAttributeValues: { ':pk': Keys.dispositionsOfTenant(tenant) },
    ScanIndexForward: false,
    Limit: limit,
  })) {
    runs.push(runOfItem(item));
    if (runs.length >= limit) break;
  }
  return runs;
}

/** Sets fields of the run; with `expected`, only while its status is one of those (false otherwise). */
export async function updateRun(tenant: string, id: string, fields: Partial<DispositionRun>, expected?: RunStatus[]): Promise<boolean> {
  const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
  const removals = Object.entries(fields).filter(([, v]) => v === undefined).map(([k]) => k);
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = entries.map(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:v${i}`] = v;
    return `#f${i} = :v${i}`;
  });
  const removes = removals.map((k, i) => {
    names[`#r${i}`] = k;
    return `#r${i}`;
  });
  let condition = 'attribute_exists(pk)';
  if (expected) {
    names['#status'] = 'status';
    condition += ` AND #status IN (${expected.map((s, i) => {
      values[`:s${i}`] = s;
      return `:s${i}`;
    }).join(', ')})`;
  }
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: table(),
        Key: Keys.dispositionRun(tenant, id),
        UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      }),
    ),
  );
}

/**
 * Marks the run FAILED with why, once: only while it still has the status it was read with, and,
 * when that is FAILED already (an execution resumed before the run was set back, failing again),
 * only while the failure recorded is the `previous` one. A retried record counts nothing again.
 * False when it did not apply.
 */
export async function markFailed(tenant: string, id: string, failure: RunFailure, previous?: RunFailure): Promise<boolean> {
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: table(),
        Key: Keys.dispositionRun(tenant, id),
        UpdateExpression: 'SET #status = :failed, failure = :failure, failures = if_not_exists(failures, :zero) + :one',
        ConditionExpression: previous ? '#status = :failed AND failure.execution = :previous' : '#status = :was',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'FAILED', ':failure': failure, ':zero': 0, ':one': 1, ...(previous ? { ':previous': previous.execution } : { ':was': failure.status }) },
      }),
    ),
  );
}

/**
 * A FAILED run back to the status it failed in, once per failure: only while it is FAILED with
 * that failure's number (a resumed run that failed again carries the next number).
 */
export async function reopenFailed(tenant: string, id: string, failures: number, status: RunStatus, fields: { resumedBy: string; resumedAt: string }): Promise<boolean> {
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: table(),
        Key: Keys.dispositionRun(tenant, id),
        UpdateExpression: 'SET #status = :status, resumedBy = :by, resumedAt = :at REMOVE failure',
        ConditionExpression: '#status = :failed AND failures = :failures',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':by': fields.resumedBy, ':at': fields.resumedAt, ':failed': 'FAILED', ':failures': failures },
      }),
    ),
  );
}

/**
 * Moves a phase's cursor from `from` to `to` (absent = finished) and adds the tallies, once:
 * false when another attempt already moved it (the page was done; nothing is added again).
 */
export async function advanceCursor(tenant: string, id: string, phase: Phase, from: string | undefined, to: string | undefined, tallies: { examined?: number; retained?: number } = {}): Promise<boolean> {
  const values: Record<string, unknown> = { ':done': to === undefined, ':examined': tallies.examined ?? 0, ':retained': tallies.retained ?? 0 };
  const names: Record<string, string> = { '#phase': phase };
  const condition = from === undefined ? 'attribute_not_exists(cursors.#phase) AND NOT done.#phase = :true' : 'cursors.#phase = :from';
  values[':true'] = true;
  if (from !== undefined) values[':from'] = from;
  const set = to === undefined ? 'REMOVE cursors.#phase SET done.#phase = :done' : 'SET cursors.#phase = :to, done.#phase = :done';
  if (to !== undefined) values[':to'] = to;
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: table(),
        Key: Keys.dispositionRun(tenant, id),
        UpdateExpression: `${set} ADD examined :examined, retained :retained`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

export async function putStudy(tenant: string, id: string, study: DispositionStudy): Promise<void> {
  await db().send(new PutCommand({ TableName: table(), Item: { ...Keys.dispositionStudy(tenant, id, study.study), type: 'disposition-study', ...study } }));
}

export async function getStudy(tenant: string, id: string, study: string): Promise<DispositionStudy | undefined> {
  const { Item } = await db().send(new GetCommand({ TableName: table(), Key: Keys.dispositionStudy(tenant, id, study), ConsistentRead: true }));
  return Item ? (strip(Item) as DispositionStudy) : undefined;
}

/** Changes a study's state, only from one of `from` (false otherwise: another attempt got there first). */
export async function setStudyState(tenant: string, id: string, study: string, from: StudyState[], to: StudyState, fields: Partial<DispositionStudy> = {}): Promise<boolean> {
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = { ':to': to };
  const sets = ['#state = :to'];
  Object.entries(fields).forEach(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:f${i}`] = v;
    sets.push(`#f${i} = :f${i}`);
  });
  from.forEach((s, i) => (values[`:from${i}`] = s));
  return appliedIf(
    db().send(
      new UpdateCommand({
        TableName: table(),
        Key: Keys.dispositionStudy(tenant, id, study),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: `#state IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** One page of the run's study items, in UID order. */
export async function studyPage(tenant: string, id: string, cursor: string | undefined, limit: number): Promise<{ studies: DispositionStudy[]; cursor?: string | undefined }> {
  const page = await db().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': Keys.dispositionRun(tenant, id).pk, ':prefix': Keys.dispositionStudiesPrefix },
      ConsistentRead: true,
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: JSON.parse(cursor) as Record<string, unknown> } : {}),
    }),
  );
  return { studies: (page.Items ?? []).map((item) => strip(item) as DispositionStudy), cursor: page.LastEvaluatedKey ? JSON.stringify(page.LastEvaluatedKey) : undefined };
}

export async function allStudies(tenant: string, id: string): Promise<DispositionStudy[]> {
  const studies: DispositionStudy[] = [];
  let cursor: string | undefined;
  do {
    const page = await studyPage(tenant, id, cursor, 500);
    studies.push(...page.studies);
    cursor = page.cursor;
  } while (cursor);
  return studies;
}

function strip(item: Record<string, unknown>): unknown {
  const { pk: _, sk: __, type: ___, ...rest } = item;
  return rest;
}
