/**
 * Disposition through the API (docs/disposition.md):
 * - `POST /dispositions` starts a run (its dry run first) and answers 202 with its id;
 * - `GET /dispositions?limit=` the tenant's runs, newest first (the console shows the latest dry run's saving);
 * - `GET /dispositions/{id}` its status and summary; `?format=json|csv` (or `Accept: text/csv`) the report;
 * - `POST /dispositions/{id}/approve|reject` an administrator's answer to that report (409 when stale);
 * - `POST /dispositions/{id}/resume` an administrator resumes a FAILED run where it stopped (409 when not FAILED);
 * (`POST /dispositions/restore` is restore-study.ts: another audit event, other grants.)
 * Everything is in the caller's tenant; every request is audited.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { BadRequestError, ForbiddenError, NotFoundError } from '#core/errors.ts';
import { ADMIN_SCOPE } from '#core/identity/scopes.ts';
import { DISPOSITION_ID } from '#core/disposition/disposition-run.ts';
import { clock } from '#adapters/clock.ts';
import { callerOf, tenantOf } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { header, pathParameter, publicBaseUrl, queryOf } from '#middleware/http-request.ts';
import { approve, reject, startDisposition } from '#services/disposition/approval.ts';
import { latestRunsOf, reportOf, runOf, type DispositionRun } from '#services/disposition/evaluate.ts';
import { resumeRun } from '#services/disposition/failure.ts';

const DEFAULT_LIST = 10;
const MAX_LIST = 50;

function listLimit(event: APIGatewayProxyEvent): number {
  const params = queryOf(event);
  const unknown = params.find(([name]) => name !== 'limit');
  if (unknown) throw new BadRequestError(`unknown parameter "${unknown[0]}" (takes limit)`);
  const given = params.find(([name]) => name === 'limit')?.[1];
  if (given === undefined) return DEFAULT_LIST;
  if (!/^\d{1,3}$/.test(given) || Number(given) < 1 || Number(given) > MAX_LIST) throw new BadRequestError(`limit must be 1..${MAX_LIST}`);
  return Number(given);
}

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** The run as the API shows it: never its task token. */
const view = ({ taskToken: _, cursors: __, ...run }: DispositionRun) => run;

function idOf(event: APIGatewayProxyEvent): string {
  const id = pathParameter(event, 'id') ?? '';
  if (!DISPOSITION_ID.test(id)) throw new NotFoundError(`no disposition ${id.slice(0, 80)}`);
  return id;
}

async function report(tenant: string, run: DispositionRun, format: 'json' | 'csv'): Promise<APIGatewayProxyResult> {
  const body = await reportOf(run, format);
  const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json';
  return { statusCode: 200, headers: { 'Content-Type': type, 'Content-Disposition': `attachment; filename="${tenant}-${run.id}.${format}"` }, body };
}

export const handler = httpHandler(async (event) => {
  const tenant = tenantOf(event);
  const caller = callerOf(event);
  const now = clock.now();
  const resource = event.resource ?? '';

  if (event.httpMethod === 'POST' && resource === '/dispositions') {
    const run = await startDisposition(tenant, caller.clientId, now);
    const location = `${publicBaseUrl(event)}/dispositions/${run.id}`;
    return json(202, { id: run.id, status: run.status, location }, { Location: location });
  }
  if (event.httpMethod === 'GET' && resource === '/dispositions') {
    return json(200, { runs: (await latestRunsOf(tenant, listLimit(event))).map(view) });
  }
  const id = idOf(event);
  if (event.httpMethod === 'GET') {
    const run = await runOf(tenant, id);
    const format = queryOf(event).find(([name]) => name === 'format')?.[1] ?? (header(event, 'accept')?.includes('text/csv') ? 'csv' : undefined);
    if (format !== undefined && format !== 'csv' && format !== 'json') throw new BadRequestError('format must be json or csv');
    return format ? report(tenant, run, format) : json(200, view(run));
  }
  // Approving a deletion, or resuming one, is an administrator's act: the route's scope, and the admin scope.
  if (!caller.scopes.includes(ADMIN_SCOPE)) throw new ForbiddenError(`approving, rejecting or resuming a disposition needs the ${ADMIN_SCOPE} scope`);
  if (resource.endsWith('/approve')) return json(200, view(await approve(tenant, id, caller.clientId, now)));
  if (resource.endsWith('/resume')) return json(200, view(await resumeRun(tenant, id, caller.clientId, now)));
  return json(200, view(await reject(tenant, id, caller.clientId)));
}, { audit: 'disposition' });
