/**
 * The local DynamoDB closes the LevelDB iterator of every read it makes (infra/local/dynalite-iterators.ts).
 * dynalite closed them with a method abstract-level's iterators lack, so each Query left a native
 * iterator open, pinning LevelDB's memory: the runtime's resident memory grew with every read
 * (issue 8, point 12). Counted here where the iterators are made, around STOW, QIDO and WADO.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stow } from '#test/helpers/dicom.ts';
import { startTestRuntime, type TestRuntime } from '#test/helpers/runtime.ts';
import { synthesize } from '#test/helpers/synthetic.ts';

/** The prototype every abstract-level iterator dynalite makes shares, from the copy dynalite loads. */
function iteratorBase(): { next: (...args: unknown[]) => unknown; close: (...args: unknown[]) => unknown } {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const { AbstractIterator } = createRequire(fromDynalite.resolve('classic-level'))('abstract-level') as { AbstractIterator: { prototype: object } };
  return Object.getPrototypeOf(AbstractIterator.prototype);
}

describe('the local DynamoDB and its LevelDB iterators', () => {
  let runtime: TestRuntime;
  const opened = new Set<object>();
  const closed = new Set<object>();
  beforeAll(async () => {
    const base = iteratorBase();
    const { next, close } = base;
    base.next = function (this: object, ...args: unknown[]) {
      opened.add(this);
      return next.apply(this, args);
    };
    base.close = function (this: object, ...args: unknown[]) {
      closed.add(this);
      return close.apply(this, args);
    };
    runtime = await startTestRuntime({ lambdaWorkers: 0 });
  });
  afterAll(async () => {
    await runtime?.dispose();
  });

  it('closes every iterator its reads open', async () => {
    const study = '2.25.55170';
    const files = Array.from({ length: 6 }, (_, i) => synthesize('CT_small.dcm', { study, series: `${study}.1`, sop: `${study}.1.${i + 1}`, patientId: 'ITER-PID' }));
    opened.clear();
    closed.clear();
    expect((await stow(runtime.url, files)).status).toBe(200);
    for (const path of [`/dicom-web/studies?PatientID=ITER-PID`, `/dicom-web/studies?limit=2`, `/dicom-web/studies/${study}/series`, `/dicom-web/studies/${study}/instances`, `/dicom-web/studies/${study}/metadata`]) {
      expect((await fetch(`${runtime.url}${path}`)).status, path).toBe(200);
    }
    expect(opened.size).toBeGreaterThan(5); // the reads did go through iterators
    await expect.poll(() => [...opened].filter((iterator) => !closed.has(iterator)).length, { timeout: 5_000 }).toBe(0);
  });
});
