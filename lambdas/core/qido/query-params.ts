/**
 * QIDO-RS query parameters (PS3.18 8.3.4, Table 8.3.4-1): `{attributeID}={value}` as keyword
 * or tag (dotted paths into sequences), `includefield` (repeated, comma lists or `all`),
 * `fuzzymatching`, `limit`, `offset`. Unknown attributes are ignored with a warning;
 * malformed values are a 400.
 */
import { BadRequestError } from '../errors.ts';
import { lookupAttribute, type TagInfo } from '../dicom/dictionary.ts';

export interface QueryFilter extends TagInfo {
  /** For sequence matching (`00400275.00401001`): the tags below the top-level one. */
  path: TagInfo[];
  value: string;
}

export interface QidoQuery {
  filters: QueryFilter[];
  includeAll: boolean;
  includeFields: string[];
  fuzzy: boolean;
  limit: number | undefined;
  offset: number;
  warnings: string[];
}

const CONTROL = new Set(['includefield', 'fuzzymatching', 'limit', 'offset', 'accept', 'charset']);

export function parseQidoQuery(pairs: [string, string][]): QidoQuery {
  const query: QidoQuery = { filters: [], includeAll: false, includeFields: [], fuzzy: false, limit: undefined, offset: 0, warnings: [] };
  for (const [rawName, value] of pairs) {
    const name = rawName.trim();
    const control = name.toLowerCase();
    if (CONTROL.has(control)) {
      applyControl(query, control, value);
      continue;
    }
    const path = name.split('.').map((part) => lookupAttribute(part));
    if (path.some((part) => !part)) {
      query.warnings.push(`unknown query attribute "${name.slice(0, 64)}" was ignored`);
      continue;
    }
    const [top, ...rest] = path as TagInfo[];
    query.filters.push({ ...top!, path: rest, value });
  }
  return query;
}

function applyControl(query: QidoQuery, name: string, value: string): void {
  switch (name) {
    case 'includefield':
      for (const field of value.split(',').map((f) => f.trim()).filter(Boolean)) {
        if (field.toLowerCase() === 'all') query.includeAll = true;
        else {
          const info = lookupAttribute(field.split('.')[0]!);
          if (info) query.includeFields.push(info.tag);
          else query.warnings.push(`unknown includefield "${field.slice(0, 64)}" was ignored`);
        }
      }
      return;
    case 'fuzzymatching':
      if (!/^(true|false)$/i.test(value)) throw new BadRequestError('fuzzymatching must be true or false');
      query.fuzzy = value.toLowerCase() === 'true';
      return;
    case 'limit':
    case 'offset': {
      if (!/^\d+$/.test(value)) throw new BadRequestError(`${name} must be a non-negative integer`);
      if (name === 'limit') query.limit = Number(value);
      else query.offset = Number(value);
      return;
    }
    default:
      return; // accept / charset: negotiation, handled by the handler
  }
}
