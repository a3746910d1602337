/** Prior prefetch step: the patient's earlier studies the policy names. */
import middy from '@middy/core';
import { selectStudyPriors } from '#services/restores/prior-prefetch.ts';

export const handler = middy(selectStudyPriors);
