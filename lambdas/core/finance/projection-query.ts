/** The projection's query parameters: `years` (1–10, default 10), `ingestGbPerMonth` (≥ 0; measured when absent), `compare`. */
import { BadRequestError } from '#core/errors.ts';
import { MAX_YEARS } from './projection.ts';

export interface ProjectionQuery {
  years: number;
  ingestGbPerMonth?: number;
  compare?: 'all-standard';
}

export function parseProjectionQuery(params: Record<string, unknown>): ProjectionQuery {
  const years = params.years === undefined ? MAX_YEARS : Number(params.years);
  if (!Number.isInteger(years) || years < 1 || years > MAX_YEARS) throw new BadRequestError(`years must be a whole number from 1 to ${MAX_YEARS}`);
  const query: ProjectionQuery = { years };
  if (params.ingestGbPerMonth !== undefined && params.ingestGbPerMonth !== '') {
    const rate = Number(params.ingestGbPerMonth);
    if (!Number.isFinite(rate) || rate < 0) throw new BadRequestError('ingestGbPerMonth must be a number of GB (2^30 bytes) per month, 0 or more');
    query.ingestGbPerMonth = rate;
  }
  if (params.compare !== undefined) {
    if (params.compare !== 'all-standard') throw new BadRequestError('compare takes all-standard (POST a proposed policy to compare with it)');
    query.compare = 'all-standard';
  }
  return query;
}
