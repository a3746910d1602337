/**
 * The IAM policy each function must carry, written out by hand from the calls its handler's
 * code makes (lambdas/adapters/*), not from the grants declaration or `grantStatements`: a
 * change to either that widens or narrows a policy fails the stack test until this table is
 * changed too, on purpose.
 *
 * Resources are symbolic: `table` (the index table), `table/index/*` (its GSIs), `audit` and
 * `audit/index/*` (the audit trail and its GSIs), `clients` (app client → tenant), `archive`
 * (the bucket), `archive/*` (its objects), `exports` and `exports/*` (the discovery export packages),
 * `key` (the customer-managed KMS key), `signing-key` (the export signing key, asymmetric), `own-logs`
 * (the function's own log group), and state machine / execution ARNs in full.
 *
 * KMS follows from AWS's rules for customer-managed keys: DynamoDB reads need kms:Decrypt, writes
 * also kms:Encrypt and kms:GenerateDataKey; S3 SSE-KMS reads need kms:Decrypt, PutObject
 * kms:GenerateDataKey (and kms:Decrypt for multipart). HeadObject is authorized as s3:GetObject,
 * HeadBucket and ListObjectsV2 as s3:ListBucket; a TransactWrite needs the action of each item.
 */
export interface ExpectedStatement {
  actions: string[];
  resources: string[];
  /** The statement's IAM Condition block, as in the template. */
  conditions?: Record<string, Record<string, string[]>>;
}

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
/** State machines are named `<primary stack>-wf-<logical>` (the stack is `Strata`). */
const machine = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Strata-wf-${name}`;
const executions = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:Strata-wf-${name}:*`;

const ownLogs: ExpectedStatement = { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: ['own-logs'] };
const listArchive: ExpectedStatement = { actions: ['s3:ListBucket'], resources: ['archive'] };
const kmsRead: ExpectedStatement = { actions: ['kms:Decrypt'], resources: ['key'] };
const kmsWrite: ExpectedStatement = { actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: ['key'] };
const onTable = (...actions: string[]): ExpectedStatement => ({ actions, resources: ['table'] });
const onTableAndIndexes = (...actions: string[]): ExpectedStatement => ({ actions, resources: ['table', 'table/index/*'] });
const onObjects = (...actions: string[]): ExpectedStatement => ({ actions, resources: ['archive/*'] });
const onPackages = (...actions: string[]): ExpectedStatement => ({ actions, resources: ['exports/*'] });
/** Strata's own events (a completed restore) on the account's default bus. */
const restoreEvents: ExpectedStatement = { actions: ['events:PutEvents'], resources: [`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`] };
/** A push taking back the entry it indexed over bytes a DELETE hid: the deletion's transaction, then empty series (Query). */
const takeBackEntries = onTableAndIndexes('dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:UpdateItem');
/** Appending to the audit trail: Query of the chain's head, conditional PutItem; never Update/Delete. */
const appendAudit: ExpectedStatement = { actions: ['dynamodb:PutItem', 'dynamodb:Query'], resources: ['audit', 'audit/index/*'] };

/**
 * Workflow references (docs/security.md): a function that starts or follows a workflow, and every
 * workflow task, reads (GetItem) and records (PutItem) the items that stand for UIDs in workflow state,
 * `T#<tenant>#REF#ref:<32 characters>`, and its tenant's salt, `T#<tenant>#REFS`; no other item
 * (a condition on the partition keys, so CDK never merges this statement with another).
 */
const workflowReferences: ExpectedStatement = {
  actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  resources: ['table'],
  conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*#REF#ref:????????????????????????????????', 'T#*#REFS'] } },
};

export const EXPECTED_POLICIES: Record<string, ExpectedStatement[]> = {
  // pingIndex: GetItem of the health item; pingArchive: HeadBucket.
  health: [ownLogs, onTable('dynamodb:GetItem'), listArchive, kmsRead],
  // Instance item GetItem, TransactWrite of Put/Update/Delete (versions, counts), UpdateItem;
  // PutObject of the bytes and metadata, HeadObject/GetObject of an existing key (404 needs ListBucket).
  storeInstances: [
    workflowReferences,
    ownLogs,
    // BatchGetItem: the legal-hold registrations an arriving study is checked against.
    onTable('dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
    takeBackEntries,
    // Tagging: the lifecycle class; DeleteObject and AbortMultipartUpload: a streamed part's staging object;
    // PutObjectLegalHold: a study arriving for a held patient is held at ingest.
    onObjects('s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectTagging'),
    listArchive,
    appendAudit,
    // Each stored study starts its prior prefetch.
    { actions: ['states:StartExecution'], resources: [machine('priorPrefetch')] },
    kmsWrite,
  ],
  // QIDO: Query on the table and its GSIs, BatchGetItem of keyed studies.
  searchForStudies: [ownLogs, onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:Query'), appendAudit, kmsWrite],
  // WADO: GetItem/BatchGetItem/Query of the index, GetObject of bytes and metadata.
  // Cold retrieval: the study's restore record (conditional PutItem) and StartExecution of its round.
  retrieve: [
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'),
    onObjects('s3:GetObject'),
    listArchive,
    appendAudit,
    // Archived bytes: the restore record (PutItem) and its round; the study's last access (UpdateItem, once a day).
    onTable('dynamodb:PutItem', 'dynamodb:UpdateItem'),
    workflowReferences,
    { actions: ['states:StartExecution'], resources: [machine('restore')] },
    kmsWrite,
  ],
  // Rendering reads as WADO does (BatchGetItem: tombstones, so a deleted resource is 410), archived bytes included.
  renderImages: [
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'),
    onObjects('s3:GetObject'),
    listArchive,
    appendAudit,
    onTable('dynamodb:PutItem', 'dynamodb:UpdateItem'),
    workflowReferences,
    { actions: ['states:StartExecution'], resources: [machine('restore')] },
    kmsWrite,
  ],
  // Delete: the deletion record (Put/Update), index reads, TransactWrite of Delete/Update, tombstone and audit PutItem;
  // Object Lock look-ups before DeleteObject. No GetObject: it never reads the bytes. What outgrows
  // the request goes on in the deletion workflow (StartExecution).
  deleteResources: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention'),
    { actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: ['archive'] },
    appendAudit,
    { actions: ['states:StartExecution'], resources: [machine('deletion')] },
    kmsWrite,
  ],
  // The deletion record by key, and the audit record of the read.
  deletions: [ownLogs, onTable('dynamodb:GetItem'), appendAudit, kmsWrite],
  // A step of the deletion workflow: what a DELETE request does, without starting workflows.
  continueDeletion: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention'),
    { actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: ['archive'] },
    appendAudit,
    kmsWrite,
  ],
  // Maintenance: the tenant's deletions under way (gsi3 Query), a new attempt counted (UpdateItem) and started.
  resumeDeletions: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:Query', 'dynamodb:UpdateItem'), { actions: ['states:StartExecution'], resources: [machine('deletion')] }, kmsWrite],
  // Storage-class and restore events: GetItem of the instance (or version) item and the study's restore,
  // then a TransactWrite of Updates (instance, cold counts, restore, usage counters; docs/finance.md).
  onObjectEvent: [ownLogs, onTable('dynamodb:GetItem', 'dynamodb:UpdateItem'), restoreEvents, kmsWrite],
  restorePages: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:Query'), kmsWrite],
  // Query of the series' instances; RestoreObject per archived instance (no ListBucket: every key comes from the index).
  restoreSeries: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:Query'), onObjects('s3:RestoreObject'), kmsWrite],
  recordRestoreRequests: [workflowReferences, ownLogs, onTable('dynamodb:GetItem', 'dynamodb:UpdateItem'), restoreEvents, kmsWrite],
  // The new study (GetItem), the patient's studies (gsi1) and their series (body parts).
  selectPriors: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:GetItem', 'dynamodb:Query'), kmsWrite],
  // As a restore request: the prior's restore record, its instances, StartExecution of its round.
  restorePrior: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'),
    { actions: ['states:StartExecution'], resources: [machine('restore')] },
    kmsWrite,
  ],
  // The study's pins (UpdateItem), the re-classification workflow started and followed.
  reclassifications: [
    workflowReferences,
    ownLogs,
    onTable('dynamodb:UpdateItem'),
    { actions: ['states:StartExecution'], resources: [machine('reclassify')] },
    { actions: ['states:DescribeExecution'], resources: [executions('reclassify')] },
    appendAudit,
    kmsWrite,
  ],
  // Studies (gsi3) or, in the last-access run, the tenants (usage balances) and their due checks (Query), the page's checks deleted,
  // a retry check put for each study of the page that failed.
  reclassifyNextPage: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query'), kmsWrite],
  // The study's pins (GetItem) and instances (Query); each object's tags read and, when its class changed, rewritten;
  // in the last-access run the study's next check (PutItem); copy back: the restored copy copied in place to a warmer class,
  // the archived version deleted unless locked, the instance's tier applied (UpdateItem).
  reclassifyStudy: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:AbortMultipartUpload', 's3:DeleteObjectVersion', 's3:GetObject', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:GetObjectTagging', 's3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging'),
    listArchive,
    kmsWrite,
  ],
  reclassifyTally: [workflowReferences, ownLogs, kmsWrite],
  // Restore records (GetItem, conditional PutItem), a patient's studies (gsi1), a study's instances, the tenant's restores (gsi3).
  restores: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'),
    { actions: ['states:StartExecution'], resources: [machine('restore')] },
    appendAudit,
    kmsWrite,
  ],
  startFixityAudit: [
    ownLogs,
    // The study must exist in the caller's tenant (Query), and its patient is audited (GetItem).
    onTableAndIndexes('dynamodb:Query'),
    onTable('dynamodb:GetItem'),
    workflowReferences,
    { actions: ['states:StartExecution'], resources: [machine('fixityAudit')] },
    { actions: ['states:DescribeExecution'], resources: [executions('fixityAudit')] },
    appendAudit,
    kmsWrite,
  ],
  listStudySeries: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:Query'), kmsWrite],
  // Query of the series' instances, GetObject to re-hash each.
  verifySeries: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:Query'), onObjects('s3:GetObject'), listArchive, kmsWrite],
  startIndexMaintenance: [
    workflowReferences,
    ownLogs,
    { actions: ['states:StartExecution'], resources: [machine('indexMaintenance')] },
    { actions: ['states:DescribeExecution'], resources: [executions('indexMaintenance')] },
    appendAudit,
    kmsWrite,
  ],
  // ListObjectsV2, GetObject to hash an orphan, and the STOW service's writes to index it.
  sweepOrphans: [
    ownLogs,
    // ConditionCheckItem: an orphan indexed through STOW may be taken back as a push's entry is.
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    // PutObjectLegalHold: an orphan of a held study is held as STOW holds it.
    onObjects('s3:GetObject', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectTagging'),
    onTable('dynamodb:BatchGetItem', 'dynamodb:UpdateItem'),
    workflowReferences,
    listArchive,
    kmsWrite,
  ],
  // The tenants of a scheduled maintenance, DR audit or fixity sweep run: one Query of the usage balances.
  maintenanceTenants: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:Query'), kmsWrite],
  // Count walk (Query), study GetItem, corrections by Update/Put/Delete.
  reconcileCounts: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'), kmsWrite],
  recordFixityResult: [workflowReferences, ownLogs, onTable('dynamodb:PutItem'), kmsWrite],
  // Finance reports: Query of the usage counters' partitions (balance, month, day items); nothing else.
  financeReports: [ownLogs, onTableAndIndexes('dynamodb:Query'), kmsRead],
  // Cognito's pre-token-generation trigger: one GetItem of the app client's tenant.
  addTenantClaim: [ownLogs, { actions: ['dynamodb:GetItem'], resources: ['clients'] }, kmsRead],
  // GET /audit and its verification read the trail (Query) and record their own use (PutItem).
  auditTrail: [ownLogs, appendAudit, kmsWrite],
  // ---- legal holds (docs/legal-hold.md) ----
  // Hold items and registrations (Get/Put/Update, BatchGet of registrations), the scope by gsi1/gsi2/QIDO (Query, BatchGet), the workflow.
  legalHolds: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    { actions: ['states:StartExecution'], resources: [machine('legalHold')] },
    // The hold's ledger record (holds/<tenant>/…, docs/dr.md).
    onObjects('s3:PutObject'),
    appendAudit,
    kmsWrite,
  ],
  // The hold item's studies.
  listHeldStudies: [workflowReferences, ownLogs, onTable('dynamodb:GetItem'), kmsWrite],
  // Instances and earlier versions of a study (Query), the instance's holds (Get, Update ADD/DELETE), study registrations (BatchGet);
  // each object's versions (ListObjectVersions: s3:ListBucketVersions on the bucket) and PutObjectLegalHold per version.
  applyLegalHold: [
    workflowReferences,
    ownLogs,
    // PutItem: the marker counting each held object once (a transaction with the hold's UpdateItem).
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:PutObjectLegalHold'),
    { actions: ['s3:ListBucketVersions'], resources: ['archive'] },
    kmsWrite,
  ],
  // The hold's S3 state (UpdateItem) and counts (GetItem), then the audit record.
  // PutObject: the hold's ledger record (docs/dr.md).
  finishLegalHold: [workflowReferences, ownLogs, onTable('dynamodb:GetItem', 'dynamodb:UpdateItem'), onObjects('s3:PutObject'), appendAudit, kmsWrite],
  // Disposition (issue 15). The API: the run (Get/Put/Update), its studies (Query), the report's
  // studies' legal holds (BatchGetItem); the report object; start the workflow, answer its approval wait.
  // The console's static files are in its own bundle: it calls no AWS service.
  console: [ownLogs],
  dispositions: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:GetObject'),
    listArchive,
    { actions: ['states:SendTaskFailure', 'states:SendTaskSuccess', 'states:StartExecution'], resources: [machine('disposition')] },
    appendAudit,
    kmsWrite,
  ],
  // Restore: the vault's items back (Query, Put, Delete), the run (Get), the study's state (Update);
  // the delete markers above each object's newest version (ListObjectVersions, DeleteObject with VersionId).
  restoreDisposedStudy: [
    ownLogs,
    onTableAndIndexes('dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:DeleteObjectVersion', 's3:PutObject'),
    { actions: ['s3:ListBucketVersions'], resources: ['archive'] },
    appendAudit,
    kmsWrite,
  ],
  // Evaluate: gsi3 and each study's partition (Query), holds (BatchGetItem), the run and its studies; the report objects.
  evaluateStudies: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:PutObject'),
    kmsWrite,
  ],
  // The approval step parks its task token on the run.
  awaitDispositionApproval: [workflowReferences, ownLogs, onTable('dynamodb:UpdateItem'), kmsWrite],
  // Execute: re-check (holds, Object Lock), move the index items to the vault, delete markers; a hold found mid-move puts them back.
  softDeleteStudies: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    // PutObject: the vault's and the run's records (disposition/<tenant>/…, docs/dr.md).
    onObjects('s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:PutObject'),
    { actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: ['archive'] },
    kmsWrite,
  ],
  // Purge: every version of every object (none destroyed while one is under Object Lock: its legal hold and
  // retention looked up first), the vault, name tokens, tombstone; the certificate under Object Lock.
  // Its deletes in the DR replica (ListBucketVersions, DeleteObjectVersion) need the DR stack's bucket,
  // -c drBucketArn, which this synth has not (test/unit/infra/dr-replication.test.ts checks them).
  purgeStudies: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:PutObject', 's3:PutObjectRetention'),
    { actions: ['s3:ListBucket', 's3:ListBucketVersions'], resources: ['archive'] },
    kmsWrite,
  ],
  // A step that failed after its retries: the run (GetItem) says FAILED, where and why (UpdateItem).
  recordDispositionFailure: [workflowReferences, ownLogs, onTable('dynamodb:GetItem', 'dynamodb:UpdateItem'), kmsWrite],
  // Discovery exports (docs/exports.md). The API: the export item and file rows (Get, Put, Query), the hold (Get),
  // a query's studies (QIDO: Query on the GSIs, BatchGetItem); presigned GETs of package objects (404 needs ListBucket).
  exports: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'),
    onPackages('s3:GetObject'),
    { actions: ['s3:ListBucket'], resources: ['exports'] },
    { actions: ['states:StartExecution'], resources: [machine('export')] },
    // GET /exports/signing-key: the signing key's public half, from KMS.
    { actions: ['kms:GetPublicKey'], resources: ['signing-key'] },
    appendAudit,
    kmsWrite,
  ],
  // The export item (Get, Update totals) and each study's instances (Query).
  planExport: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'), kmsWrite],
  // Instances and copied rows (Query), a file row and its count (TransactWrite: Put + Update), the restore record
  // (Get, conditional Put) and its round (StartExecution); GetObject of the bytes, a multipart upload into the package.
  copyExportPage: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:GetObject'),
    listArchive,
    onPackages('s3:AbortMultipartUpload', 's3:PutObject'),
    { actions: ['states:StartExecution'], resources: [machine('restore')] },
    kmsWrite,
  ],
  // The round's end on the export item (Update); the pending studies' restore records (Get).
  tallyExport: [workflowReferences, ownLogs, onTable('dynamodb:GetItem', 'dynamodb:UpdateItem'), kmsWrite],
  // The file rows (Query), the export item (Get, Update); the package documents; the summary signed, the public key read.
  finishExport: [
    workflowReferences,
    ownLogs,
    onTableAndIndexes('dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onPackages('s3:PutObject'),
    { actions: ['kms:GetPublicKey', 'kms:Sign'], resources: ['signing-key'] },
    appendAudit,
    kmsWrite,
  ],
  // ---- presigned uploads (issue 17) ----
  // The upload's items (PutItem, GetItem, UpdateItem; Query for the report); CreateMultipartUpload, presigned
  // UploadPart and CompleteMultipartUpload are s3:PutObject (SSE-KMS multipart: GenerateDataKey and Decrypt);
  // HeadObject of a file whose completion answer was lost (GetObject, ListBucket for a 404).
  uploads: [
    ownLogs,
    onTableAndIndexes('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
    onObjects('s3:GetObject', 's3:PutObject'),
    listArchive,
    appendAudit,
    kmsWrite,
  ],
  // The indexer: the upload's file (GetItem, UpdateItem) and STOW's index writes; ranged GetObject/HeadObject of
  // the header, CopyObject (PutObject, tagging), the metadata document, DeleteObject of the staging object,
  // AbortMultipartUpload of a failed copy in parts; holds at ingest and prior prefetch as STOW; the audit record.
  indexUploadedObjects: [
    workflowReferences,
    ownLogs,
    onTable('dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
    takeBackEntries,
    onObjects('s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectTagging'),
    listArchive,
    appendAudit,
    { actions: ['states:StartExecution'], resources: [machine('priorPrefetch')] },
    kmsWrite,
  ],
  // ---- disaster recovery (issue 18, docs/dr.md): the DR audit workflow's steps ----
  // A tenant's studies (gsi3), a study's instances and earlier versions (Query), a replica confirmed on its
  // instance (UpdateItem). Its reads of the replica (ListObjectsV2, HeadObject) need the DR stack's bucket,
  // -c drBucketArn, which this synth has not (test/unit/infra/dr-replication.test.ts checks them).
  auditReplicaPage: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:Query', 'dynamodb:UpdateItem'), kmsWrite],
  // Metrics are Embedded Metric Format lines in its own log group: nothing but the workflow references.
  finishDrAudit: [workflowReferences, ownLogs, kmsWrite],
  // The tenant's studies (gsi3), a study's series and instances (Query), the sweep position (GetItem, conditional
  // PutItem) and each study's fixity record (PutItem); GetObject to re-hash (404 needs ListBucket).
  fixitySweepPage: [workflowReferences, ownLogs, onTableAndIndexes('dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'), onObjects('s3:GetObject'), listArchive, kmsWrite],
  finishFixitySweep: [workflowReferences, ownLogs, kmsWrite],
};

/** The stack's one shared policy every function role also holds: X-Ray has no resource-level permissions. */
export const EXPECTED_TRACING: ExpectedStatement[] = [{ actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] }];

export const POLICY_ACCOUNT = ACCOUNT;

/**
 * The data plane's task role (ECS Fargate): it serves STOW-RS and whole-resource WADO-RS with the
 * same code as storeInstances and retrieve, so it may do what those two may do together — and
 * nothing else (no own-logs statement: the awslogs driver writes with the execution role). Its role
 * also holds the shared EXPECTED_TRACING policy, as every function's does: its trace collector
 * sidecar writes X-Ray.
 */
export const EXPECTED_DATA_PLANE: ExpectedStatement[] = [
  // BatchGetItem/UpdateItem and PutObjectLegalHold: a study arriving for a held patient is held at ingest (as storeInstances).
  onTable('dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'),
  // retrieve's reads, and what a push taking back an entry does (as storeInstances).
  onTableAndIndexes('dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'),
  onObjects('s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject', 's3:PutObjectLegalHold', 's3:PutObjectTagging'),
  listArchive,
  appendAudit,
  // A stored study starts its priors' prefetch (storeInstances); a WADO of archived bytes starts their restore (retrieve).
  { actions: ['states:StartExecution'], resources: [machine('priorPrefetch'), machine('restore')] },
  workflowReferences,
  kmsWrite,
];
