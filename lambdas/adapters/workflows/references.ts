/**
 * Workflow references in the index (core/workflows/references.ts): one item per referenced
 * value, `T#<tenant>#REF#<reference>`, read by key, written idempotently (the same value always
 * gets the same reference within a tenant, so a value referenced again rewrites the same item);
 * and one salt per tenant, `T#<tenant>#REFS`/`SALT`, created once (a conditional put: two first
 * writers agree on the one that landed).
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { NotFoundError } from '#core/errors.ts';
import { Keys } from '#core/index-keys.ts';
import { carriesIdentifier, isReference, referenceOf, replaceStrings, stringsOf } from '#core/workflows/references.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';

const db = documentClient;
/** Salts are never changed, so a container keeps them. */
const salts = new Map<string, string>();

async function saltOf(tenant: string): Promise<string> {
  const known = salts.get(tenant);
  if (known) return known;
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
  salts.set(tenant, salt!);
  return salt!;
}

/** The value with every string that carries a UID replaced by its reference (recorded first, so a reader always finds it). */
export async function withReferences<T>(tenant: string, value: T): Promise<T> {
  const found = stringsOf(value, carriesIdentifier);
  if (found.size === 0) return value;
  const salt = await saltOf(tenant);
  const replacements = new Map([...found].map((text) => [text, referenceOf(salt, text)]));
  await Promise.all(
    [...replacements].map(([text, reference]) => db().send(new PutCommand({ TableName: config.indexTable(), Item: { ...Keys.reference(tenant, reference), value: text } }))),
  );
  return replaceStrings(value, replacements);
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
