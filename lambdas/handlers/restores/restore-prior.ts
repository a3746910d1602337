/** Prior prefetch step: restore one prior through the study restore records. */
import middy from '@middy/core';
import { restorePrior } from '#services/restores/prior-prefetch.ts';

export const handler = middy(restorePrior);
