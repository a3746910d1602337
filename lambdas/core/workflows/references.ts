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

/**
 * How long a reference item is kept after it was last written (its DynamoDB TTL): a Standard
 * workflow runs at most a year, and AWS keeps a closed execution's history 90 days more, during
 * which following it resolves its references. Writing a reference again (the same value in a
 * later workflow) moves its expiry on. TTL deletes expired items within days, never before.
 */
export const REFERENCE_LIFETIME_DAYS = 365 + 90;

/** A reference item's TTL attribute: epoch seconds, REFERENCE_LIFETIME_DAYS after `now`. */
export const referenceExpiry = (now: Date): number => Math.floor(now.getTime() / 1000) + REFERENCE_LIFETIME_DAYS * 86_400;

/**
 * The identifying part of an execution name (its prefix and any round or minute are the
 * caller's): hex of a SHA-256 salted with the tenant's salt, so a dictionary of UIDs does not
 * reveal which study a name is about, and the same value gives the same name within the
 * tenant (idempotent starts). Not a reference: nothing resolves a name back.
 */
export function opaqueName(salt: string, value: string, length = 24): string {
  return createHash('sha256').update(salt).update('\0name\0').update(value).digest('hex').slice(0, length);
}

const UID_RUNS = new RegExp(UID_RUN.source, 'g');
const BASE64URL_TOKENS = /[A-Za-z0-9_-]{16,}={0,2}/g;

/** The parts of a free text (an error's message or stack trace) that carry a UID: each UID run, each base64url token that decodes to one. */
export function identifiersIn(text: string): Set<string> {
  const found = new Set<string>();
  for (const [run] of text.matchAll(UID_RUNS)) found.add(run);
  for (const [token] of text.matchAll(BASE64URL_TOKENS)) if (!text.includes(PREFIX + token) && carriesIdentifier(token)) found.add(token);
  if (WHOLE_UID.test(text.trim())) found.add(text.trim());
  return found;
}

/** The text with every occurrence of each key of `replacements` replaced, longest first (a UID inside a longer one is not cut). */
export function replaceWithin(text: string, replacements: ReadonlyMap<string, string>): string {
  return [...replacements.keys()].sort((a, b) => b.length - a.length).reduce((result, value) => result.split(value).join(replacements.get(value)!), text);
}

/** What stands for an identifier in a text when no reference can be made for it (no tenant known). */
export const REDACTED = '<identifier>';

/** The text with every identifier in it replaced by REDACTED. */
export const redactIdentifiers = (text: string): string => replaceWithin(text, new Map([...identifiersIn(text)].map((value) => [value, REDACTED])));

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
