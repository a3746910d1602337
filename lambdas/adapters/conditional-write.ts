/**
 * A conditional DynamoDB write whose failed condition is an answer, not an error: true when it
 * applied, false when its condition did not hold (another attempt, state or race got there
 * first); any other failure is thrown.
 */
export async function appliedIf(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    throw error;
  }
}

export const conditionFailed = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';
