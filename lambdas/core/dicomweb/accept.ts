/**
 * Content negotiation for WADO-RS (PS3.18 8.7): the Accept header (or the `accept` query
 * parameter, 8.3.3.1) as media ranges ordered by q-value. A missing Accept is treated as
 * `*\/*` (a documented choice: the standard allows 406, viewers expect the default).
 */
import { parseMediaType, splitOutsideQuotes, type MediaType } from './media-type.ts';

export interface MediaRange extends MediaType {
  q: number;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || !header.trim()) return [{ type: '*/*', parameters: {}, q: 1 }];
  return splitOutsideQuotes(header, ',')
    .map((entry) => parseMediaType(entry))
    .filter((range) => range.type)
    .map((range) => ({ ...range, q: range.parameters.q === undefined ? 1 : Number(range.parameters.q) }))
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q);
}

export const DEFAULT_TRANSFER_SYNTAX = '1.2.840.10008.1.2.1';

/**
 * For a retrieve of DICOM instances: the transfer syntax the client asks for
 * (`*` = as stored), or undefined when no range accepts multipart/related DICOM.
 */
export function instanceTransferSyntax(ranges: MediaRange[]): string | undefined {
  for (const range of ranges) {
    const multipartDicom = range.type === 'multipart/related' && (range.parameters.type ?? 'application/dicom').toLowerCase() === 'application/dicom';
    if (multipartDicom || range.type === '*/*' || range.type === 'multipart/*') {
      return range.parameters['transfer-syntax'] ?? DEFAULT_TRANSFER_SYNTAX;
    }
  }
  return undefined;
}

export function acceptsJson(ranges: MediaRange[]): boolean {
  return ranges.some((r) => ['application/dicom+json', 'application/json', '*/*', 'application/*'].includes(r.type));
}
