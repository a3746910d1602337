/**
 * The workflow-task middleware on a failing task: what Step Functions keeps of the error (its
 * name as the error; its message and stack trace as the cause) names no UID. The index is
 * replaced by a map of recorded references, made by the real core functions.
 */
import middy from '@middy/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { NotFoundError } from '#core/errors.ts';
import { identifiersIn, REDACTED, referenceOf, replaceWithin } from '#core/workflows/references.ts';

const recorded = new Map<string, string>();
let indexDown = false;
vi.mock('#adapters/workflows/references.ts', () => ({
  resolveReferences: async (_tenant: string, value: unknown) => value,
  withReferences: async (_tenant: string, value: unknown) => value,
  withReferencesIn: async (tenant: string, text: string) => {
    if (indexDown) throw new Error('ProvisionedThroughputExceededException');
    const replacements = new Map([...identifiersIn(text)].map((value) => [value, referenceOf(`salt-${tenant}`, value)]));
    for (const [value, reference] of replacements) recorded.set(reference, value);
    return replaceWithin(text, replacements);
  },
}));
const { workflowTask } = await import('#middleware/workflow-task.ts');

const STUDY = '1.2.840.113619.2.55.3.604688119';
const KEY = `default/studies/${STUDY}/series/1.2.840.113619.2.55.3.7/1.2.840.113619.2.55.3.8.dcm`;

/** What a task throws: an identifying message, caused by an SDK-like error naming the object key. */
const failing = () =>
  middy(async (_event: unknown) => {
    const storage = Object.assign(new Error(`The specified key does not exist: ${KEY}`), { name: 'NoSuchKey', Key: KEY });
    throw new NotFoundError(`instance ${STUDY} is missing`, { cause: storage });
  }).use(workflowTask());

/** Everything Step Functions (and the local one) can keep of the error. */
const kept = (error: Error) => [error.name, error.message, error.stack ?? '', JSON.stringify(error.cause ?? null), String((error.cause as Error).stack ?? ''), (error.cause as Error).message].join('\n');

describe('workflowTask() on a task that throws', () => {
  beforeEach(() => {
    recorded.clear();
    indexDown = false;
  });

  it('rethrows the same error class and name with every UID in its message, stack and cause replaced by a reference', async () => {
    const error = (await failing()({ tenant: 'default', study: 'ref:x' }, {} as never).catch((e: unknown) => e)) as Error;
    // Retry and Catch match the name; the class is kept for the handler's own checks.
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.name).toBe('NotFoundError');
    const text = kept(error);
    expect(text).not.toMatch(/1\.2\.840/);
    expect(error.message).toBe(`instance ${referenceOf('salt-default', STUDY)} is missing`);
    // Each reference was recorded, so an operator of the tenant can resolve what the failure was about.
    for (const [reference] of text.matchAll(/ref:[A-Za-z0-9_-]{32}/g)) expect(recorded.has(reference), reference).toBe(true);
    expect(recorded.get(referenceOf('salt-default', STUDY))).toBe(STUDY);
    expect((error.cause as Error).name).toBe('NoSuchKey');
  });

  it('marks the UIDs when the tenant is unknown or the reference cannot be recorded, and never passes them on', async () => {
    const anonymous = (await failing()({}, {} as never).catch((e: unknown) => e)) as Error;
    expect(kept(anonymous)).not.toMatch(/1\.2\.840/);
    expect(anonymous.message).toBe(`instance ${REDACTED} is missing`);
    indexDown = true;
    const unrecorded = (await failing()({ tenant: 'default' }, {} as never).catch((e: unknown) => e)) as Error;
    expect(kept(unrecorded)).not.toMatch(/1\.2\.840/);
    expect(unrecorded.message).toBe(`instance ${REDACTED} is missing`);
    expect(recorded.size).toBe(0);
  });

  it('leaves an error without identifiers as it was', async () => {
    const error = (await middy(async () => {
      throw new Error('the page could not be read after 3 attempts');
    })
      .use(workflowTask())({ tenant: 'default' }, {} as never)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('the page could not be read after 3 attempts');
    expect(recorded.size).toBe(0);
  });
});
