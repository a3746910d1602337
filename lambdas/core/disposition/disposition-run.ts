/**
 * Pure decisions of a disposition run: which studies it examines, its id, what an approval
 * must find unchanged, and which objects a study's index items stand for.
 */
import { instanceOfSortKey, Keys, metadataObjectKey } from '#core/index-keys.ts';
import { addPeriod } from './retention.ts';
import { parsePeriod, type RetentionPolicy } from './retention-policy.ts';

/**
 * Studies dated before this day (`YYYYMMDD`, exclusive) may be eligible: the shortest adult
 * period of any rule back from `now`, plus the day itself. No rule releases a later study.
 */
export function examineBefore(retention: RetentionPolicy | undefined, now: Date): string {
  if (!retention) return '00000000';
  const earliest = retention.rules
    .map((rule) => parsePeriod(rule.adults))
    .map((period) => addPeriod(now, { years: -period.years, days: -period.days + 1 }))
    .sort((a, b) => b.getTime() - a.getTime())[0]!;
  return earliest.toISOString().slice(0, 10).replace(/-/g, '');
}

/** `disp-20300101T120000Z-1a2b3c` (also the workflow execution's name). */
export const dispositionId = (now: Date, suffix: string) => `disp-${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${suffix}`;
export const DISPOSITION_ID = /^disp-\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** Why a report may no longer be approved; undefined when it still stands. */
export function staleness(report: { policyVersion: number }, now: { policyVersion: number; heldStudies: number }): string | undefined {
  if (report.policyVersion !== now.policyVersion) {
    return `the lifecycle policy changed since this report was made (version ${report.policyVersion}, now ${now.policyVersion}): reject it and run a new dry run`;
  }
  if (now.heldStudies > 0) return `${now.heldStudies} of the report's studies came under legal hold since it was made: reject it and run a new dry run`;
  return undefined;
}

/** The objects (bytes and metadata document of each version) and checksums behind a study's instance and version items. */
export function objectsOfItems(tenant: string, study: string, items: readonly { sk: string; objectKey?: unknown; sha256?: unknown }[]): { keys: string[]; checksums: string[] } {
  const keys: string[] = [];
  const checksums: string[] = [];
  for (const item of items) {
    if (!item.sk.startsWith(Keys.instancesOfStudyPrefix) && !item.sk.startsWith(Keys.versionsOfStudyPrefix)) continue;
    const { series, sop } = instanceOfSortKey(item.sk);
    const sha256 = String(item.sha256 ?? '');
    if (typeof item.objectKey === 'string') keys.push(item.objectKey);
    if (sha256) {
      keys.push(metadataObjectKey({ tenant, study, series, sop }, sha256));
      checksums.push(sha256);
    }
  }
  return { keys, checksums: checksums.sort() };
}
