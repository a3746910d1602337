/**
 * Workflow references in the index (core/workflows/references.ts): one item per referenced
 * value, `T#<tenant>#REF#<reference>`, read by key, written idempotently (the same value always
 * gets the same reference within a tenant, so a value referenced again rewrites the same item);
 * and one salt per tenant, `T#<tenant>#REFS`/`SALT`, created once (a conditional put: two first
 * writers agree on the one that landed). Reference items expire (DynamoDB TTL, REFERENCE_LIFETIME_DAYS
 * after their last write); salts never do. Both are derived: a rebuilt index starts without them (docs/dr.md).
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { NotFoundError } from '#core/errors.ts';
import { Keys, TTL_ATTRIBUTE } from '#core/index-keys.ts';
import {
  carriesIdentifier,
  identifiersIn,
  isReference,
  opaqueName,
  referenceExpiry,
  referenceOf,
  replaceStrings,
  replaceWithin,
  stringsOf,
} from '#core/workflows/references.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';
import { clock } from '#adapters/clock.ts';

const db = documentClient;
/**
 * How long a container trusts the salt it read. A salt is never changed, but an index rebuilt
 * from the bucket (docs/dr.md) starts without it and the next writer makes a new one: a warm
 * container (or a data-plane task, up for weeks) that kept the old salt would go on naming a
 * study's idempotent executions differently from the others, so a prior prefetch could run once
 * per salt in use instead of once more. Reading it again every few minutes bounds that to the
 * minutes after the rebuild, for one consistent GetItem per tenant per container per period.
 */
export const SALT_CACHE_MS = 5 * 60_000;
const salts = new Map<string, { salt: string; readAt: number }>();

async function saltOf(tenant: string): Promise<string> {
  const now = clock.now().getTime();
  const known = salts.get(tenant);
  if (known && now - known.readAt < SALT_CACHE_MS && now >= known.readAt) return known.salt;
  const read = async () => (await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.referenceSalt(tenant), ConsistentRead: true }))).Item?.salt as string | undefined;
  let salt = await read();
  if (!salt) {
    try {
      salt = randomBytes(32).toString('base64url');
      await db().send(new PutCommand({ TableName: config.indexTable(), Item: { ...Keys.referenceSalt(tenant), salt }, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      salt = await read(); // another writer created it first
    }
  }
  salts.set(tenant, { salt: salt!, readAt: now });
  return salt!;
}

/** Each value's reference, recorded first (so a reader always finds it) with its expiry moved on. */
async function recordReferences(tenant: string, values: ReadonlySet<string>): Promise<Map<string, string>> {
  const salt = await saltOf(tenant);
  const replacements = new Map([...values].map((text) => [text, referenceOf(salt, text)]));
  const expires = referenceExpiry(clock.now());
  await Promise.all(
    [...replacements].map(([text, reference]) =>
      db().send(new PutCommand({ TableName: config.indexTable(), Item: { ...Keys.reference(tenant, reference), value: text, [TTL_ATTRIBUTE]: expires } })),
    ),
  );
  return replacements;
}

/** The value with every string that carries a UID replaced by its reference. */
export async function withReferences<T>(tenant: string, value: T): Promise<T> {
  const found = stringsOf(value, carriesIdentifier);
  if (found.size === 0) return value;
  return replaceStrings(value, await recordReferences(tenant, found));
}

/** A free text (an error's message or stack trace) with every UID in it replaced by its reference. */
export async function withReferencesIn(tenant: string, text: string): Promise<string> {
  const found = identifiersIn(text);
  if (found.size === 0) return text;
  return replaceWithin(text, await recordReferences(tenant, found));
}

/** The identifying part of an execution name for `value`, salted with the tenant's salt (core opaqueName). */
export async function opaqueNameOf(tenant: string, value: string, length?: number): Promise<string> {
  return opaqueName(await saltOf(tenant), value, length);
}

/** The value with every reference replaced by what it stands for. */
export async function resolveReferences<T>(tenant: string, value: T): Promise<T> {
  const found = stringsOf(value, isReference);
  if (found.size === 0) return value;
  const resolved = await Promise.all(
    [...found].map(async (reference) => {
      const item = (await db().send(new GetCommand({ TableName: config.indexTable(), Key: Keys.reference(tenant, reference), ConsistentRead: true }))).Item;
      // A reference of another tenant resolves to nothing, like one never made.
      if (typeof item?.value !== 'string') throw new NotFoundError('a workflow reference names nothing of this tenant');
      return [reference, item.value] as const;
    }),
  );
  return replaceStrings(value, new Map(resolved));
}
