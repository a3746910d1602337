/**
 * HoldsPort answered from the index: the `holdIds` string set of each study's `LEGAL_HOLDS`
 * item (core/index-keys.ts), read 100 studies per BatchGetItem, consistently enough for a
 * re-check right before a deletion (BatchGetItem with ConsistentRead).
 */
import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { HoldsPort } from '#core/disposition/holds-port.ts';
import { Keys, studyOfPartition } from '#core/index-keys.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '../aws-clients.ts';

const BATCH = 100;

export const indexHolds: HoldsPort = {
  async holdsOn(tenant, studies) {
    const held = new Map<string, string[]>();
    const TableName = config.indexTable();
    for (let i = 0; i < studies.length; i += BATCH) {
      let keys: Record<string, unknown>[] | undefined = studies.slice(i, i + BATCH).map((study) => Keys.legalHolds(tenant, study));
      // Unprocessed keys (throttling) are asked again until none are left.
      while (keys?.length) {
        const answer: BatchGetCommandOutput = await documentClient().send(
          new BatchGetCommand({ RequestItems: { [TableName]: { Keys: keys, ProjectionExpression: 'pk, holdIds', ConsistentRead: true } } }),
        );
        for (const item of answer.Responses?.[TableName] ?? []) {
          const ids = [...((item.holdIds as Set<string> | undefined) ?? [])].sort();
          if (ids.length) held.set(studyOfPartition(String(item.pk)), ids);
        }
        keys = answer.UnprocessedKeys?.[TableName]?.Keys;
      }
    }
    return held;
  },
};
