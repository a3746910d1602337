/**
 * The studies a disposition run examines, by designed keys only: gsi3 (`T#<t>#STUDIES`, sort
 * key `<StudyDate><StudyTime>#<study>`) below the earliest date any rule could release, oldest
 * first. A study without a date sorts as `00000000…` and is examined (and spared). Per study,
 * one Query of its own partition gives its instances' sizes and tiers.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { Keys, studyOfPartition } from '#core/index-keys.ts';
import type { StudyItemView } from '#core/disposition/study-facts.ts';
import { config } from '#lambdas/config.ts';
import { documentClient } from '#adapters/aws-clients.ts';

export interface CandidateStudy extends StudyItemView {
  study: string;
}

export interface CandidatePage {
  studies: CandidateStudy[];
  /** Where the next page starts; absent after the last. */
  cursor?: string | undefined;
}

/** A study item (from the study's partition or the vault) as a candidate. */
export const candidateOf = (study: string, item: Record<string, unknown>): CandidateStudy => ({
  study,
  dicom: item.dicom as string | undefined,
  modalities: item.modalities as Set<string> | undefined,
  pins: item.pins as Set<string> | undefined,
});

/** Studies whose gsi3 sort key is below `before` (`YYYYMMDD`). */
export async function candidatePage(tenant: string, before: string, cursor: string | undefined, limit: number): Promise<CandidatePage> {
  const page = await documentClient().send(
    new QueryCommand({
      TableName: config.indexTable(),
      IndexName: 'gsi3',
      KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk < :before',
      ExpressionAttributeValues: { ':pk': Keys.studiesByDate(tenant), ':before': before },
      ProjectionExpression: 'pk, sk, gsi3pk, gsi3sk, dicom, modalities, pins',
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: JSON.parse(cursor) as Record<string, unknown> } : {}),
    }),
  );
  return {
    studies: (page.Items ?? []).map((item) => candidateOf(studyOfPartition(String(item.pk)), item)),
    cursor: page.LastEvaluatedKey ? JSON.stringify(page.LastEvaluatedKey) : undefined,
  };
}

export interface StoredVersion {
  bytes: number;
  tier: string;
  /** The instance's current version (an INST# item), not an earlier one. */
  current: boolean;
}

/** Every stored version of every instance in a partition (the study's, or its vault's). */
export async function storedVersions(partition: string): Promise<StoredVersion[]> {
  const versions: StoredVersion[] = [];
  for (const prefix of [Keys.instancesOfStudyPrefix, Keys.versionsOfStudyPrefix]) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: config.indexTable(),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': partition, ':prefix': prefix },
          ProjectionExpression: '#size, storageClass',
          ExpressionAttributeNames: { '#size': 'size' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) versions.push({ bytes: Number(item.size ?? 0), tier: String(item.storageClass ?? 'STANDARD'), current: prefix === Keys.instancesOfStudyPrefix });
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return versions;
}

/** InstitutionName lives on instances, not on the study item: one instance's DICOM JSON. */
export async function oneInstanceDataset(partition: string): Promise<string | undefined> {
  const page = await documentClient().send(
    new QueryCommand({
      TableName: config.indexTable(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partition, ':prefix': Keys.instancesOfStudyPrefix },
      ProjectionExpression: 'dicom',
      Limit: 1,
    }),
  );
  return page.Items?.[0]?.dicom as string | undefined;
}
