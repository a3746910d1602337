/**
 * Workflow state without identifiers (docs/security.md): what AWS keeps of an execution for 90
 * days (its input, every state's input and output, every task's input and result, its output)
 * must name no study, series or instance. Every value that carries a DICOM UID — a UID, an
 * object key, a page cursor that encodes an index key — is replaced by a reference, `ref:<id>`,
 * whose value only the index holds (adapters/workflows/references.ts); the tasks resolve
 * references back as they read their input. Pure: no SDK, no clock.
 */
import { createHash } from 'node:crypto';
import { Keys } from '#core/index-keys.ts';

const PREFIX = 'ref:';
const LENGTH = 32;
/** A reference: `ref:` and 32 base64url characters (192 bits of a salted SHA-256). */
const REFERENCE = new RegExp(`^${PREFIX}[A-Za-z0-9_-]{${LENGTH}}$`);

/**
 * The partition keys of reference items and of the tenants' salts, as IAM patterns (any tenant,
 * a reference's exact length): the grant of a function that only carries references reaches
 * these items and no other (`dynamodb:LeadingKeys`, infra/system.ts).
 */
export const REFERENCE_PARTITION_PATTERNS: readonly string[] = [Keys.reference('*', PREFIX + '?'.repeat(LENGTH)).pk, Keys.referenceSalt('*').pk];
/**
 * A DICOM UID (PS3.5 §9.1; malformed ones with leading zeros too): digit groups separated by
 * dots. A whole string of that syntax counts however short (STOW accepts `1.2.3.4`); inside a
 * longer string (an object key, a file name) any run of three groups or more does. A version
 * number (`v22.11.0`) then counts too: a false alarm costs one reference, a miss a UID in history.
 */
const WHOLE_UID = /^[0-9]+(?:\.[0-9]+)+$/;
const UID_RUN = /(?<![0-9])(?<![0-9]\.)[0-9]+(?:\.[0-9]+){2,}(?!\.?[0-9])/;
const hasUid = (text: string): boolean => WHOLE_UID.test(text) || UID_RUN.test(text);
/** A string that may be base64url of a key or a JSON cursor (cursors are encoded that way). */
const BASE64URL = /^[A-Za-z0-9_-]{16,}={0,2}$/;

export const isReference = (value: string): boolean => REFERENCE.test(value);

/** Whether a string carries a UID, plainly or inside a base64url-encoded cursor. */
export function carriesIdentifier(value: string): boolean {
  if (isReference(value)) return false;
  if (hasUid(value)) return true;
  if (!BASE64URL.test(value)) return false;
  return hasUid(Buffer.from(value, 'base64url').toString('latin1'));
}

/** The reference of a value: a tenant's salt makes it underivable from the value alone, and stable within the tenant. */
export function referenceOf(salt: string, value: string): string {
  return PREFIX + createHash('sha256').update(salt).update('\0').update(value).digest('base64url').slice(0, LENGTH);
}

/** Every string (values and object keys) of a JSON value that `select` picks, once each. */
export function stringsOf(value: unknown, select: (text: string) => boolean): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      if (select(node)) found.add(node);
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item);
    } else if (node && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        if (select(key)) found.add(key);
        walk(item);
      }
    }
  };
  walk(value);
  return found;
}

/** The JSON value with each string (value or key) found in `replacements` replaced. */
export function replaceStrings<T>(value: T, replacements: ReadonlyMap<string, string>): T {
  const swap = (text: string) => replacements.get(text) ?? text;
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return swap(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, item]) => [swap(key), walk(item)]));
    return node;
  };
  return walk(value) as T;
}
