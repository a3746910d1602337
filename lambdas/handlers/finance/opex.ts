/**
 * Finance: `GET /finance/opex?from=&to=&groupBy=tier,tenant,modality` — the monthly OpEx report
 * as JSON, or CSV (`Accept: text/csv` or `format=csv`); `GET /finance/projection?years=&ingestGbPerMonth=&compare=all-standard`
 * — the monthly bill for 1–10 years under the lifecycle policy; `POST /finance/projection` with
 * `{ "policy": {…}, "years", "ingestGbPerMonth" }` — the current and the proposed policy side by
 * side. Scope finance.read; an administrator sees every tenant (or one, with `?tenant=`), anyone
 * else their own. The figures are money and volumes, no PHI: not audited.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError } from '#core/errors.ts';
import { parseProposedPolicy } from '#core/finance/proposed-policy.ts';
import { parseProjectionQuery } from '#core/finance/projection-query.ts';
import { parseOpexQuery } from '#core/finance/report.ts';
import { opexCsv } from '#core/finance/report-csv.ts';
import { monthOf } from '#core/finance/units.ts';
import { ADMIN_SCOPE } from '#core/identity/scopes.ts';
import { clock } from '#adapters/clock.ts';
import { config } from '#lambdas/config.ts';
import { callerOf, tenantOf, TENANT_PARAMETER } from '#middleware/caller.ts';
import { httpHandler } from '#middleware/http-handler.ts';
import { jsonBodyOf, header, queryOf } from '#middleware/http-request.ts';
import { opex, projection } from '#services/finance/opex.ts';

const OPEX_PARAMETERS = new Set(['from', 'to', 'groupBy', 'format', TENANT_PARAMETER]);
const PROJECTION_PARAMETERS = new Set(['years', 'ingestGbPerMonth', 'compare', TENANT_PARAMETER]);

/** Every tenant for an administrator who names none; else the one the request acts in. */
function scopeOf(event: APIGatewayProxyEvent): string | undefined {
  const named = queryOf(event).some(([name]) => name === TENANT_PARAMETER);
  return callerOf(event).scopes.includes(ADMIN_SCOPE) && !named ? undefined : tenantOf(event);
}

function parameters(event: APIGatewayProxyEvent, allowed: Set<string>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of queryOf(event)) {
    if (!allowed.has(name)) throw new BadRequestError(`unknown parameter "${name}" (takes ${[...allowed].join(', ')})`);
    if (name in params) throw new BadRequestError(`parameter "${name}" given twice`);
    params[name] = value;
  }
  return params;
}

const json = (body: unknown) => ({ statusCode: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: JSON.stringify(body) });

export const handler = httpHandler(async (event) => {
  const now = clock.now();
  const tenant = scopeOf(event);
  if (event.resource === '/finance/opex') {
    const params = parameters(event, OPEX_PARAMETERS);
    if (params.format !== undefined && params.format !== 'csv' && params.format !== 'json') throw new BadRequestError('format takes csv or json');
    const report = await opex(tenant, parseOpexQuery(params, monthOf(now.toISOString())), now);
    const csv = params.format === 'csv' || (params.format === undefined && /\btext\/csv\b/.test(header(event, 'accept') ?? ''));
    if (csv) return { statusCode: 200, headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Cache-Control': 'no-store' }, body: opexCsv(report) };
    return json(report);
  }
  const params = parameters(event, PROJECTION_PARAMETERS);
  if (event.httpMethod === 'POST') {
    const body = jsonBodyOf(event, 'the body must be JSON: { "policy": {…}, "years": 10, "ingestGbPerMonth": 100 }') as Record<string, unknown>;
    const query = parseProjectionQuery({ ...params, ...body, policy: undefined });
    return json(await projection(tenant, config.lifecyclePolicy(), parseProposedPolicy(body?.policy), query, now));
  }
  const query = parseProjectionQuery(params);
  return json(await projection(tenant, config.lifecyclePolicy(), query.compare, query, now));
});
