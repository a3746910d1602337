/**
 * The keys of the index table and of the archive bucket (docs/data-model.md). Every key
 * starts with the tenant (the caller's `tenant` claim), so tenants never share a key. Key builders are
 * named for the access pattern they serve.
 */
export interface InstanceIdentity {
  tenant: string;
  study: string;
  series: string;
  sop: string;
}

/** What a DICOMweb path names within a tenant: a study, or a series or one instance in it. */
export interface ResourceScope {
  tenant: string;
  study: string;
  series?: string | undefined;
  sop?: string | undefined;
}

const studyPartition = (tenant: string, study: string) => `T#${tenant}#S#${study}`;

/** The index table's DynamoDB TTL attribute (epoch seconds): an item that carries it is deleted after that time (workflow references). */
export const TTL_ATTRIBUTE = 'ttl';

export const Keys = {
  /** The study summary: one item per study. */
  study: (tenant: string, study: string) => ({ pk: studyPartition(tenant, study), sk: 'STUDY' }),
  /** The series summaries of a study: Query pk, begins_with(sk, 'SERIES#'). */
  series: (tenant: string, study: string, series: string) => ({ pk: studyPartition(tenant, study), sk: `SERIES#${series}` }),
  seriesOfStudyPrefix: 'SERIES#',
  /** The instances of a study (begins_with 'INST#') or of one series (begins_with 'INST#<series>#'). */
  instance: (id: InstanceIdentity) => ({ pk: studyPartition(id.tenant, id.study), sk: `INST#${id.series}#${id.sop}` }),
  instancesOfStudyPrefix: 'INST#',
  instancesOfSeriesPrefix: (series: string) => `INST#${series}#`,
  /** An earlier version of an instance, one item each (docs/decisions/0002-instance-versions.md). */
  instanceVersion: (id: InstanceIdentity, sha256: string) => ({ pk: studyPartition(id.tenant, id.study), sk: `VER#${id.series}#${id.sop}#${sha256}` }),
  /** Every earlier version in a study partition: Query pk, begins_with(sk, 'VER#'). */
  versionsOfStudyPrefix: 'VER#',
  /** The study summary's sort key. */
  studySortKey: 'STUDY',
  /** The earlier versions of one instance: Query pk, begins_with(sk, 'VER#<series>#<sop>#'). */
  versionsOfInstancePrefix: (id: InstanceIdentity) => `VER#${id.series}#${id.sop}#`,
  /** GSI1 on instance items: find an instance by SOP Instance UID alone. */
  instanceBySop: (tenant: string, sop: string) => ({ gsi1pk: `T#${tenant}#SOP#${sop}`, gsi1sk: 'INSTANCE' }),
  /** GSI1 on study items: studies of a patient, newest first by StudyDate. */
  studiesOfPatient: (tenant: string, patientId: string) => `T#${tenant}#PID#${patientId}`,
  /** GSI2 on study items: studies by accession number. */
  studiesByAccession: (tenant: string, accession: string) => `T#${tenant}#ACC#${accession}`,
  /** GSI2 on series items: find a series by Series Instance UID alone. */
  seriesByUid: (tenant: string, series: string) => `T#${tenant}#SER#${series}`,
  /** GSI3 on study items: all studies of a tenant ordered by StudyDate+StudyTime. */
  studiesByDate: (tenant: string) => `T#${tenant}#STUDIES`,
  /**
   * Name-token items: one per token of a study's PatientName (uppercase, no accents),
   * partitioned by the token's first character; Query begins_with(sk, prefix).
   */
  nameTokenPartition: (tenant: string, token: string) => `T#${tenant}#NAME#${[...token][0] ?? ''}`,
  nameToken: (tenant: string, token: string, study: string) => ({
    pk: `T#${tenant}#NAME#${[...token][0] ?? ''}`,
    sk: `${token}#${study}`,
  }),
  /** What remains of a deleted study, series or instance, so it answers 410 rather than 404. */
  tombstone: (tenant: string, study: string, series?: string, sop?: string) => ({
    pk: studyPartition(tenant, study),
    sk: sop ? `TOMBSTONE#INST#${series}#${sop}` : series ? `TOMBSTONE#SERIES#${series}` : 'TOMBSTONE#STUDY',
  }),
  /** A fixity audit's outcome on the study partition, newest last. */
  fixityResult: (tenant: string, study: string, auditedAt: string) => ({ pk: studyPartition(tenant, study), sk: `FIXITY#${auditedAt}` }),
  /** Where the tenant's scheduled fixity sweep resumes, and its cycles' totals (docs/dr.md). */
  fixitySweep: (tenant: string) => ({ pk: `T#${tenant}#FIXITY`, sk: 'SWEEP' }),
  /** A legal hold: one item per hold in its tenant's holds partition (docs/legal-hold.md). */
  hold: (tenant: string, id: string) => ({ pk: `T#${tenant}#HOLDS`, sk: `HOLD#${id}` }),
  /** The holds of a tenant: Query pk, begins_with(sk, 'HOLD#'). */
  holdsOfTenant: (tenant: string) => `T#${tenant}#HOLDS`,
  holdsPrefix: 'HOLD#',
  /** One object version counted into a hold's progress (its key: the object key), so none is counted twice. */
  holdCounted: (tenant: string, holdId: string, objectKey: string) => ({ pk: `T#${tenant}#HOLD#${holdId}#COUNTED`, sk: objectKey }),
  /**
   * What holds cover: one item per held study, patient (with its issuer, `''` = any) or
   * accession number, holding the set of covering hold ids. Read by key at DELETE, disposition
   * and ingest (BatchGetItem), never scanned.
   */
  heldStudy: (tenant: string, study: string) => ({ pk: `T#${tenant}#HELD#S#${study}`, sk: 'HELD' }),
  heldPatient: (tenant: string, patientId: string, issuer: string) => ({ pk: `T#${tenant}#HELD#PID#${patientId}#ISS#${issuer}`, sk: 'HELD' }),
  heldAccession: (tenant: string, accession: string) => ({ pk: `T#${tenant}#HELD#ACC#${accession}`, sk: 'HELD' }),
  /** The restore of a study's archived instances (one per study, docs/lifecycle.md). */
  restore: (tenant: string, study: string) => ({ pk: studyPartition(tenant, study), sk: 'RESTORE' }),
  /** GSI3 on restore items: a tenant's restores, newest first (sort key `<requestedAt>#<study>`). */
  restoresOfTenant: (tenant: string) => `T#${tenant}#RESTORES`,
  /** Disposition (docs/disposition.md): a run's own item, and one item per study it examined. */
  dispositionRun: (tenant: string, id: string) => ({ pk: `T#${tenant}#DISP#${id}`, sk: 'RUN' }),
  dispositionStudy: (tenant: string, id: string, study: string) => ({ pk: `T#${tenant}#DISP#${id}`, sk: `STUDY#${study}` }),
  dispositionStudiesPrefix: 'STUDY#',
  /** GSI3 on run items: a tenant's disposition runs, newest first (sort key `<evaluatedAt>#<id>`). */
  dispositionsOfTenant: (tenant: string) => `T#${tenant}#DISPOSITIONS`,
  /** A soft-deleted study's index items, out of QIDO's and WADO's sight: same sort keys, this partition. */
  disposedStudyPartition: (tenant: string, study: string) => `T#${tenant}#DISPOSED#${study}`,
  /** A tenant's salt for workflow references (core/workflows/references.ts), created once. */
  referenceSalt: (tenant: string) => ({ pk: `T#${tenant}#REFS`, sk: 'SALT' }),
  /** What a workflow reference stands for (a UID, or a value that carries one). */
  reference: (tenant: string, reference: string) => ({ pk: `T#${tenant}#REF#${reference}`, sk: 'REF' }),
  /** A deletion's durable record (docs/deletion.md). */
  deletion: (tenant: string, id: string) => ({ pk: `T#${tenant}#DELETION#${id}`, sk: 'DELETION' }),
  /** GSI3 on deletion records while they are under way (removed when finished): what maintenance resumes. */
  deletionsUnderWay: (tenant: string) => `T#${tenant}#DELETING`,
  /**
   * A presigned upload (docs/ingest.md): its own item and one item per file, on one partition,
   * so GET /dicom-web/uploads/{id} is one Query and the indexer's event one GetItem.
   */
  upload: (tenant: string, id: string) => ({ pk: `T#${tenant}#UPLOAD#${id}`, sk: 'UPLOAD' }),
  uploadFile: (tenant: string, id: string, file: number) => ({ pk: `T#${tenant}#UPLOAD#${id}`, sk: `FILE#${String(file).padStart(5, '0')}` }),
  uploadFilesPrefix: 'FILE#',
  /** The reserved item the health check reads. */
  health: { pk: 'HEALTH', sk: 'HEALTH' },
} as const;

/** The Study Instance UID of a study partition key (`T#<tenant>#S#<study>`). */
export const studyOfPartition = (pk: string): string => pk.slice(pk.indexOf('#S#') + 3);

/** Series and SOP Instance UIDs of an instance item's sort key (`INST#<series>#<sop>`) or an earlier version's (`VER#<series>#<sop>#<sha256>`). */
export function instanceOfSortKey(sk: string): { series: string; sop: string } {
  const [, series = '', sop = ''] = sk.split('#');
  return { series, sop };
}

/** Where every instance object of a tenant lives: its sweeps list this prefix. */
export const instancesPrefix = (tenant: string) => `${tenant}/studies/`;

/**
 * Where one version of an instance's bytes lives in the archive bucket. The key ends with the
 * content's SHA-256, so a retry lands on the same key and different content never overwrites
 * (docs/decisions/0002-instance-versions.md).
 */
export const instanceObjectKey = (id: InstanceIdentity, sha256: string) =>
  `${instancesPrefix(id.tenant)}${id.study}/series/${id.series}/instances/${id.sop}/${sha256}.dcm`;

/**
 * The instance's metadata (DICOM JSON, BulkDataURIs relative to the instance) for one version.
 * A separate prefix keeps it in S3 Standard when lifecycle rules move `<tenant>/studies/` to
 * colder tiers: metadata stays hot, so QIDO and WADO metadata never wait for a restore (docs/data-model.md).
 */
export const metadataObjectKey = (id: InstanceIdentity, sha256: string) =>
  `${id.tenant}/metadata/studies/${id.study}/series/${id.series}/instances/${id.sop}/${sha256}.json`;

/**
 * Where a streamed instance's bytes land while they arrive, before their SHA-256 (and so their
 * instance key) is known; copied to instanceObjectKey once whole, then deleted. Outside
 * `<tenant>/studies/`, so lifecycle rules and key parsing never take it for an instance.
 */
/** Where a streamed part is uploaded before it is checked and copied to its content-addressed key. */
export const STAGING_PREFIX = 'staging/';
export const stagingObjectKey = (tenant: string, upload: string) => `${STAGING_PREFIX}${tenant}/${upload}.dcm`;
/**
 * The tag a streamed part's staging object is written with. It lives only while its request
 * runs, so a crash (or a lost delete) is all that leaves one current: a lifecycle rule on this
 * tag expires it after STAGED_PART_EXPIRY_DAYS. A tag, not the prefix, because presigned
 * uploads share `staging/` and must last their week.
 */
export const STAGED_PART_TAG = { key: 'strata-staging', value: 'streamed-part' } as const;
export const STAGED_PART_EXPIRY_DAYS = 1;

/**
 * Where a presigned upload's files land (`staging/uploads/<tenant>/<upload>/<file>.dcm`): the
 * prefix the `Object Created` rule and the abandoned-upload lifecycle rule filter on. No
 * instance key can start with it (those are `<tenant>/studies/…` and `<tenant>/metadata/…`),
 * and a streamed STOW part's key (`staging/<tenant>/<uuid>.dcm`) never has the file segment.
 */
export const UPLOADS_PREFIX = `${STAGING_PREFIX}uploads/`;
export const uploadObjectKey = (tenant: string, upload: string, file: number) => `${UPLOADS_PREFIX}${tenant}/${upload}/${file}.dcm`;

/** The upload and file an uploaded object's key names; `undefined` for any other key. */
export function uploadOfObjectKey(key: string): { tenant: string; upload: string; file: number } | undefined {
  const match = /^staging\/uploads\/([a-z0-9-]+)\/([0-9a-f-]{36})\/([1-9][0-9]{0,4})\.dcm$/.exec(key);
  if (!match) return undefined;
  return { tenant: match[1]!, upload: match[2]!, file: Number(match[3]) };
}

/** The inverse of instanceObjectKey, for events that carry only the S3 key. */
export function instanceIdentityFromKey(key: string): (InstanceIdentity & { sha256: string }) | undefined {
  const match = /^([^/]+)\/studies\/([^/]+)\/series\/([^/]+)\/instances\/([^/]+)\/([0-9a-f]{64})\.dcm$/.exec(key);
  if (!match) return undefined;
  const [, tenant, study, series, sop, sha256] = match as unknown as [string, string, string, string, string, string];
  return { tenant, study, series, sop, sha256 };
}

/**
 * DynamoDB refuses a sort key over 1,024 bytes (partition keys: 2,048), so no value that
 * becomes part of a key may be longer. DICOM's own limits are far below (LO: 64 characters).
 */
export const MAX_KEY_VALUE_BYTES = 1024;

/** Attributes whose values become parts of index keys (docs/data-model.md). */
const KEYED_ATTRIBUTES: [string, string][] = [
  ['PatientID (0010,0020)', '00100020'],
  ['AccessionNumber (0008,0050)', '00080050'],
  ['StudyDate (0008,0020)', '00080020'],
  ['StudyTime (0008,0030)', '00080030'],
];

/** The keyed attribute (or PatientName token) too long to index, described; `undefined` when all fit. */
export function oversizedKeyValue(dataset: Record<string, { Value?: unknown[] }>, nameTokens: readonly string[]): string | undefined {
  for (const [label, tag] of KEYED_ATTRIBUTES) {
    const bytes = Buffer.byteLength(String(dataset[tag]?.Value?.[0] ?? ''));
    if (bytes > MAX_KEY_VALUE_BYTES) return `${label} is ${bytes} bytes long; values that key the index may have at most ${MAX_KEY_VALUE_BYTES}`;
  }
  const token = nameTokens.find((t) => Buffer.byteLength(t) > MAX_KEY_VALUE_BYTES);
  if (token) return `PatientName (0010,0010) has a ${Buffer.byteLength(token)}-byte word; values that key the index may have at most ${MAX_KEY_VALUE_BYTES}`;
  return undefined;
}
