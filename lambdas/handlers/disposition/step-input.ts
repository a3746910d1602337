/**
 * What every disposition workflow step receives and returns: the run's tenant and id and, for
 * looped steps, whether more pages remain. Study UIDs never travel in workflow state (they
 * would sit in the execution history): each step reads its page from the run's items.
 */
export interface StepInput {
  tenant: string;
  id: string;
  /** Which part of the phase this invocation does. */
  step: string;
  /**
   * Page calls of this execution so far, this one included (the workflow counts them; a looped
   * step returns the count so the workflow can continue the run in a new execution past its bound).
   */
  calls?: number;
}

export interface StepOutput {
  tenant: string;
  id: string;
  calls?: number;
  more?: boolean;
  recoverUntil?: string;
}

export function stepInput(input: unknown, steps: readonly string[]): StepInput {
  const { tenant, id, step, calls } = (input ?? {}) as Partial<StepInput>;
  if (typeof tenant !== 'string' || typeof id !== 'string' || typeof step !== 'string' || !steps.includes(step) || (calls !== undefined && !Number.isInteger(calls))) {
    throw new TypeError(`a disposition step needs {tenant, id, step: ${steps.join('|')}, calls?: integer}`);
  }
  return { tenant, id, step, ...(calls === undefined ? {} : { calls }) };
}

/** What a looped step returns: the run, the workflow's call count as it came, and whether pages remain. */
export const pageOutput = ({ tenant, id, calls }: StepInput, page: { more: boolean }): StepOutput => ({ tenant, id, ...(calls === undefined ? {} : { calls }), more: page.more });

/**
 * Time a page may take at most (25 studies of thousands of instances each): a step stops
 * taking new pages when less is left, and the workflow calls it again. Pages per step are thus
 * bounded by the function's timeout, so a run's history grows with its duration, not its size;
 * past 1,000 calls the workflow continues the run in a new execution (docs/disposition.md).
 */
export const PAGE_RESERVE_MS = 5 * 60_000;

export async function pagesWhileTimeLeft(remainingMs: () => number, page: () => Promise<{ more: boolean }>): Promise<{ more: boolean }> {
  let result: { more: boolean };
  do result = await page();
  while (result.more && remainingMs() > PAGE_RESERVE_MS);
  return result;
}
