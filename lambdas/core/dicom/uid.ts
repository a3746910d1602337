/**
 * Unique Identifiers as PS3.5 §9.1 defines them: components of digits separated by single
 * dots, at most 64 characters. Strata checks UIDs where they enter (file, path, query) and
 * never rewrites one: a lenient reader that strips stray characters (dcmjs drops everything
 * but digits and dots) would make `1.2.3x` the UID of a different instance, `1.2.3`.
 */
export const MAX_UID_LENGTH = 64;

const UID_SYNTAX = /^[0-9]+(\.[0-9]+)*$/;

/**
 * Why `value` is not a UID, or `undefined` when it is. Leading zeros in a component are
 * outside §9.1 too, but real equipment writes them and they cannot make two UIDs collide,
 * so they are accepted.
 */
export function uidProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_UID_LENGTH) return `is ${value.length} characters long (at most ${MAX_UID_LENGTH})`;
  if (!UID_SYNTAX.test(value)) return 'has characters other than digits and single dots between them';
  return undefined;
}

export const isUid = (value: string): boolean => uidProblem(value) === undefined;

/** A UID quoted for an error message: printable ASCII only, and short. */
export function quoteUid(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return `"${printable.length > 70 ? `${printable.slice(0, 70)}...` : printable}"`;
}
