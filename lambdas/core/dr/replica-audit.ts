/**
 * The DR audit's comparison of one study (docs/dr.md): the index's current versions against the
 * replica's objects and their stored SHA-256. Pure: the caller lists, reads and records.
 */

export interface IndexedVersion {
  key: string;
  /** Hex, recorded at ingest. */
  sha256: string;
  ingestedAt: string;
}

export interface ReplicaObject {
  key: string;
  /** The replica's stored checksum (hex); undefined when it stores none. */
  sha256: string | undefined;
}

export interface StudyComparison {
  /** In the index, not in the replica, older than the grace period: lost or never replicated. */
  missing: { key: string; ageSeconds: number }[];
  /** In the index, not in the replica yet, within the grace period (replication lag). */
  pending: string[];
  /** In both, with a stored checksum other than the one recorded at ingest (or none). */
  mismatched: { key: string; recorded: string; replica: string | undefined }[];
  /** In the replica, not a current version in the index (the caller checks earlier versions). */
  unmatched: string[];
  /** Present with the recorded checksum. */
  confirmed: IndexedVersion[];
  /** The oldest unreplicated version's age (missing or pending), the recovery point; 0 when none. */
  oldestUnreplicatedSeconds: number;
}

export function compareStudy(indexed: readonly IndexedVersion[], replica: readonly ReplicaObject[], now: Date, graceSeconds: number): StudyComparison {
  const inReplica = new Map(replica.map((object) => [object.key, object]));
  const result: StudyComparison = { missing: [], pending: [], mismatched: [], unmatched: [], confirmed: [], oldestUnreplicatedSeconds: 0 };
  for (const version of indexed) {
    const copy = inReplica.get(version.key);
    if (!copy) {
      const ageSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(version.ingestedAt)) / 1000));
      result.oldestUnreplicatedSeconds = Math.max(result.oldestUnreplicatedSeconds, ageSeconds);
      if (ageSeconds > graceSeconds) result.missing.push({ key: version.key, ageSeconds });
      else result.pending.push(version.key);
    } else if (copy.sha256 !== version.sha256) result.mismatched.push({ key: version.key, recorded: version.sha256, replica: copy.sha256 });
    else result.confirmed.push(version);
  }
  const indexedKeys = new Set(indexed.map((version) => version.key));
  result.unmatched = replica.filter((object) => !indexedKeys.has(object.key)).map((object) => object.key);
  return result;
}
