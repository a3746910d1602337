/**
 * QIDO-RS query parameters (PS3.18 8.3.4, Table 8.3.4-1): `{attributeID}={value}` as keyword
 * or tag (dotted paths into sequences), `includefield` (repeated, comma lists or `all`),
 * `fuzzymatching`, `limit`, `offset`. Unknown attributes are ignored with a warning;
 * malformed values are a 400.
 */
import { BadRequestError } from '#core/errors.ts';
import { lookupAttribute, type TagInfo } from '#core/dicom/dictionary.ts';
import { quoteUid, uidProblem } from '#core/dicom/uid.ts';
import { MAX_KEY_VALUE_BYTES } from '#core/index-keys.ts';
import { listValues } from './value-list.ts';
import { isStrataPrivateTag } from './private-attributes.ts';

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
    const filter = { ...top!, path: rest, value };
    assertMatchable(filter, name);
    query.filters.push(filter);
  }
  return query;
}

/**
 * Values that become index keys must fit them: a UID (list) must be UIDs, anything else at most
 * MAX_MATCH_VALUE_BYTES (DynamoDB refuses longer keys; no DICOM value that keys a search is longer).
 */
export const MAX_MATCH_VALUE_BYTES = MAX_KEY_VALUE_BYTES;

function assertMatchable(filter: QueryFilter, name: string): void {
  const vr = (filter.path.at(-1) ?? filter).vr;
  if (vr === 'UI' && filter.value !== '' && filter.value !== '*') {
    for (const uid of listValues(filter.value)) {
      const problem = uidProblem(uid);
      if (problem) throw new BadRequestError(`${name.slice(0, 64)}=${quoteUid(uid)} is not a UID list: a UID (PS3.5 9.1) ${problem}`);
    }
  } else if (Buffer.byteLength(filter.value) > MAX_MATCH_VALUE_BYTES) {
    throw new BadRequestError(`the value of ${name.slice(0, 64)} is longer than ${MAX_MATCH_VALUE_BYTES} bytes`);
  }
}

function applyControl(query: QidoQuery, name: string, value: string): void {
  switch (name) {
    case 'includefield':
      for (const field of value.split(',').map((f) => f.trim()).filter(Boolean)) {
        if (field.toLowerCase() === 'all') query.includeAll = true;
        else if (isStrataPrivateTag(field)) query.includeFields.push(field.toUpperCase());
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
