/**
 * Media types as RFC 7231/2045 write them: `type/subtype; name=value; name="quoted value"`.
 * Real DICOMweb clients send parameters in any order, quoted or not, in any case
 * (PS3.18 8.4.3; seen from dicomweb-client, Orthanc and OHIF), so every reader goes through this one parser.
 */
export interface MediaType {
  type: string; // lower-case `type/subtype`
  parameters: Record<string, string>; // lower-case names, unquoted values
}

export function parseMediaType(header: string): MediaType {
  const [head = '', ...rest] = splitOutsideQuotes(header, ';');
  const parameters: Record<string, string> = {};
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (name) parameters[name] = value;
  }
  return { type: head.trim().toLowerCase(), parameters };
}

/** Splits on `separator` except inside double quotes. */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}
