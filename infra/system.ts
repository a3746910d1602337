/**
 * The one description of Strata: tables, buckets, functions, HTTP routes, event rules and
 * state machines. The CDK app (infra/app.ts) and the local runtime (infra/local/) both read
 * this object, so a route or rule declared here exists in both places or in neither.
 *
 * Names are logical ("archive", "index"); each side maps them to physical names
 * (a CloudFormation-generated bucket name in AWS, a fixed local name on a laptop).
 */
import { CORS_POLICY } from '#core/cors-policy.ts';
import { RESOURCE_SERVER } from '#core/identity/scopes.ts';
import { DR_METRIC, DR_METRICS_NAMESPACE } from '#core/dr/audit-metrics.ts';
import { FIXITY_METRIC, FIXITY_METRICS_NAMESPACE } from '#core/fixity/sweep-metrics.ts';
import { TTL_ATTRIBUTE, UPLOADS_PREFIX } from '#core/index-keys.ts';
import { REFERENCE_PARTITION_PATTERNS } from '#core/workflows/references.ts';
import { ABANDONED_UPLOAD } from '#core/uploads/upload-plan.ts';
import type { FunctionDeclaration, SystemDeclaration } from './system-types.ts';

/**
 * The DR alarms (docs/dr.md), on the sums each scheduled DR audit publishes (one datapoint a day):
 * any replica missing past the grace period, any replica whose SHA-256 differs, a recovery point
 * older than an hour, a tenant the audit could not finish.
 */
const DR_ALARMS = {
  DrReplicasMissing: { namespace: DR_METRICS_NAMESPACE, metric: DR_METRIC.unreplicated, threshold: 0, description: 'Archive objects with no DR replica past the replication grace period (npm run dr-audit -- --tenant T lists them)' },
  DrReplicasCorrupted: { namespace: DR_METRICS_NAMESPACE, metric: DR_METRIC.mismatched, threshold: 0, description: 'DR replicas whose stored SHA-256 differs from the one recorded at ingest' },
  DrRecoveryPointTooOld: { namespace: DR_METRICS_NAMESPACE, metric: DR_METRIC.oldestUnreplicated, threshold: 3600, description: 'The oldest unreplicated archive object is older than an hour (the recovery point objective)' },
  DrAuditIncomplete: { namespace: DR_METRICS_NAMESPACE, metric: DR_METRIC.failedTenants, threshold: 0, description: 'The DR audit failed for at least one tenant after its retries' },
} as const;

/** The fixity sweep's alarms: an instance gone or changed, a tenant the sweep could not finish. */
const FIXITY_ALARMS = {
  FixityDamage: { namespace: FIXITY_METRICS_NAMESPACE, metric: FIXITY_METRIC.damaged, threshold: 0, description: 'The fixity sweep found archive objects missing or not matching their SHA-256 (each study keeps its fixity record)' },
  FixitySweepIncomplete: { namespace: FIXITY_METRICS_NAMESPACE, metric: FIXITY_METRIC.failedTenants, threshold: 0, description: 'The fixity sweep failed for at least one tenant after its retries' },
} as const;

/**
 * Every audited function appends to the audit trail: Query reads its chain's head, PutItem
 * appends (conditional on a new key). No function gets UpdateItem, DeleteItem or BatchWriteItem
 * on the audit table (docs/audit.md; test/unit/infra/audit-grants.test.ts checks the template).
 */
const appendAudit = { resource: 'table:audit', actions: ['dynamodb:Query', 'dynamodb:PutItem'] } as const;
/**
 * A read of an instance's bytes (WADO, rendered): archived bytes start the study's restore (its
 * record by conditional PutItem, its round's execution), and the study's last access is noted
 * once a day (UpdateItem) for last-access rules (docs/lifecycle.md).
 */
const bytesRead = [
  { resource: 'table:index', actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'] },
  { resource: 'stateMachine:restore', actions: ['states:StartExecution'] },
] as const;
/**
 * Deleting instances (docs/deletion.md), in a DELETE request or a step of the deletion workflow:
 * the deletion record, instance, version, series and study items, tombstones (index); every
 * version's object unless Object Lock protects it (archive); the outcome (audit).
 */
const deletion = [
  // ConditionCheckItem: each batch's transaction checks the study's hold registration (a hold placed mid-batch wins).
  {
    resource: 'table:index',
    actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  },
  // ListBucket: the Object Lock look-ups of an already-missing object answer 404, not 403.
  // ListBucketVersions + DeleteObjectVersion: an instance a hold covers gets back the bytes an
  // interrupted step delete-marked (the markers above its newest version go; docs/deletion.md).
  {
    resource: 'bucket:archive',
    actions: ['s3:DeleteObject', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:ListBucket', 's3:ListBucketVersions', 's3:DeleteObjectVersion'],
  },
  appendAudit,
] as const;
/**
 * Legal holds (docs/legal-hold.md): an instance stored through STOW (or indexed by the orphan
 * sweep, which stores through STOW) is checked against the held registrations (BatchGetItem)
 * and, when held, gets S3's legal hold and joins the hold (UpdateItem). It also reads the
 * instance's holds (GetItem) and counts the object into the hold (PutItem of a marker), which
 * every function that ingests is granted anyway.
 */
/**
 * A push that cannot write again bytes a DELETE hid after it found them takes back the entry it
 * indexed (services/deletion/withdraw-entries.ts): removed as a deletion removes entries, in a
 * transaction that checks the study's holds, then empty series and study entries (Queries).
 */
const withdrawPushedEntries = { resource: 'table:index', actions: ['dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] } as const;
const holdAtIngest = [
  { resource: 'table:index', actions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'] },
  { resource: 'bucket:archive', actions: ['s3:PutObjectLegalHold'] },
] as const;
/** The image lifecycle policy: the archive bucket's lifecycle rules and the class each object is tagged with at ingest. */
const LIFECYCLE_POLICY = 'policies/lifecycle.yaml';
/** Discovery export packages are kept this long, then S3 deletes them (download again means export again). */
const EXPORT_EXPIRY_DAYS = 30;

export const system = withWorkflowReferences({
  api: {
    resourceServer: RESOURCE_SERVER,
    /** The function Cognito calls before issuing a token (AWS only; the local identity adds the claim itself). */
    tokenTrigger: 'addTenantClaim',
    scopes: ['dicom.read', 'dicom.write', 'dicom.delete', 'ilm.admin', 'legal.hold', 'finance.read', 'admin'],
    // Every body reaches Lambda base64-encoded: DICOM is binary and multipart/related would
    // otherwise be mangled as text (API Gateway REST "binary media types").
    binaryMediaTypes: ['*/*'],
    /** API Gateway's hard request limit; larger pushes use presigned uploads. */
    maxRequestBytes: 10 * 1024 * 1024,
    /** Lambda's synchronous payload limit, which the base64-encoded event must fit. */
    maxLambdaPayloadBytes: 6 * 1024 * 1024,
    requestTooLargeMessage:
      'Request body too large for the DICOMweb API (API Gateway accepts 10 MB, Lambda 6 MB after base64). ' +
      'Send fewer instances per STOW-RS request (npm run push splits and routes by size).',
    cors: CORS_POLICY,
  },
  tables: {
    index: {
      // Single-table design, see docs/data-model.md. Every key starts with the tenant.
      partitionKey: 'pk',
      sortKey: 'sk',
      globalIndexes: [
        { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
        { name: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
        { name: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
      ],
      // Workflow references expire (core/workflows/references.ts: REFERENCE_LIFETIME_DAYS); no other item carries it.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // Its DR copy: a global-table replica where the deployment configures one (docs/dr.md).
      drReplica: true,
    },
    // App client → tenant (docs/security.md): read by the token trigger with GetItem, written by administrators.
    clients: { partitionKey: 'pk', sortKey: 'sk', globalIndexes: [] },
    audit: {
      // Append-only hash chains per tenant (pk `T#<t>#CHAIN#<shard>`, sk sequence); GSIs by patient, client, day (docs/audit.md).
      partitionKey: 'pk',
      sortKey: 'sk',
      globalIndexes: [
        { name: 'byPatient', partitionKey: 'patientKey', sortKey: 'patientTime' },
        { name: 'byClient', partitionKey: 'clientKey', sortKey: 'clientTime' },
        { name: 'byDay', partitionKey: 'dayKey', sortKey: 'dayTime' },
      ],
    },
  },
  buckets: {
    // DICOM bytes, one object per instance, immutable once written; versioned (deletes are
    // recoverable, docs/data-model.md) with Object Lock for legal holds (docs/legal-hold.md).
    archive: {
      versioned: true,
      objectLock: true,
      eventBridge: true,
      lifecyclePolicy: LIFECYCLE_POLICY,
      // Presigned uploads (docs/ingest.md): an upload expires when S3 aborts its unfinished parts.
      abandonedUploads: {
        prefix: UPLOADS_PREFIX,
        abortIncompleteAfterDays: ABANDONED_UPLOAD.abortIncompleteAfterDays,
        expireAfterDays: ABANDONED_UPLOAD.expireStagedAfterDays,
      },
    },
    // Discovery export packages (docs/exports.md): copies made for one production, re-creatable
    // from the archive, so they expire; versioned like every bucket here (an overwrite is recoverable).
    exports: { versioned: true, objectLock: false, eventBridge: false, expireAfterDays: EXPORT_EXPIRY_DAYS },
  },
  functions: {
    health: {
      entry: 'lambdas/handlers/health.ts',
      description: 'Liveness and component versions',
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem'] },
        { resource: 'bucket:archive', actions: ['s3:ListBucket'] },
      ],
    },
    storeInstances: {
      entry: 'lambdas/handlers/store-instances.ts',
      description: 'STOW-RS: store DICOM instances',
      memoryMb: 1769,
      grants: [
        // DeleteItem: a re-pushed earlier version leaves the history when it becomes current again.
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
        // ListBucket: HeadObject of a key not yet stored must answer 404, not 403 (S3 hides absence without it).
        // PutObjectTagging: each object is written with its lifecycle policy class tags.
        // DeleteObject, AbortMultipartUpload: a streamed instance's staging object (staging/…) is
        // deleted once copied into place, and its upload aborted when the request is cut off.
        { resource: 'bucket:archive', actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:ListBucket', 's3:DeleteObject', 's3:AbortMultipartUpload'] },
        appendAudit,
        ...holdAtIngest,
        withdrawPushedEntries,
        // Prior prefetch: each stored study starts its (idempotently named) prefetch workflow.
        { resource: 'stateMachine:priorPrefetch', actions: ['states:StartExecution'] },
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    searchForStudies: {
      entry: 'lambdas/handlers/search.ts',
      description: 'QIDO-RS: search studies, series and instances',
      grants: [{ resource: 'table:index', actions: ['dynamodb:BatchGetItem', 'dynamodb:Query'] }, appendAudit],
    },
    retrieve: {
      entry: 'lambdas/handlers/retrieve.ts',
      description: 'WADO-RS: retrieve instances, metadata and frames (streamed)',
      memoryMb: 1769,
      streaming: true,
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] },
        // ListBucket: a missing object is NoSuchKey (WADO 404) only when the caller may list the bucket; else AccessDenied.
        { resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket'] },
        appendAudit,
        ...bytesRead,
      ],
      // The default restore tier and days (policy `retrieval`).
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    renderImages: {
      entry: 'lambdas/handlers/render.ts',
      description: 'WADO-RS rendered and thumbnail resources (JPEG/PNG)',
      memoryMb: 1769,
      grants: [
        // BatchGetItem: tombstones, so a deleted resource answers 410 rather than 404.
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'] },
        // ListBucket: a missing object must answer 404 (NoSuchKey), not 403.
        { resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket'] },
        appendAudit,
        ...bytesRead,
      ],
      // The default restore tier and days (policy `retrieval`).
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    deleteResources: {
      entry: 'lambdas/handlers/deletion/delete-resources.ts',
      description: 'Admin: delete a study, series or instance (bytes, index, tombstone, audit); the workflow carries on what outgrows the request',
      grants: [...deletion, { resource: 'stateMachine:deletion', actions: ['states:StartExecution'] }],
    },
    deletions: {
      entry: 'lambdas/handlers/deletion/deletions.ts',
      description: 'GET /deletions/{id}: how far a deletion that outgrew its request got',
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem'] }, appendAudit],
    },
    continueDeletion: {
      entry: 'lambdas/handlers/deletion/continue-deletion.ts',
      description: 'Deletion workflow step: carry a recorded deletion on while the step\'s time allows',
      grants: deletion,
    },
    onObjectEvent: {
      entry: 'lambdas/handlers/lifecycle/on-object-event.ts',
      description: 'Keeps the index in step with S3 storage-class, restore and delete events',
      grants: [
        // GetItem: the instance's tier, size and modality and the study's restore before the transaction that
        // changes them with the usage counters (TransactWrite of Updates; docs/finance.md).
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
        // The last restored object of a study's restore announces it (Restore Completed).
        { resource: 'eventBus:default', actions: ['events:PutEvents'] },
      ],
    },
    startFixityAudit: {
      entry: 'lambdas/handlers/fixity/fixity-audits.ts',
      description: 'Admin: start and follow a fixity audit of a study',
      grants: [
        // Query: the study must exist in the caller's tenant before an audit starts.
        { resource: 'table:index', actions: ['dynamodb:Query'] },
        { resource: 'stateMachine:fixityAudit', actions: ['states:StartExecution'] },
        { resource: 'execution:fixityAudit', actions: ['states:DescribeExecution'] },
        // GetItem: the study's patient, for the audit record.
        { resource: 'table:index', actions: ['dynamodb:GetItem'] },
        appendAudit,
      ],
    },
    listStudySeries: {
      entry: 'lambdas/handlers/fixity/list-study-series.ts',
      description: 'Fixity audit step: list the series of a study',
      grants: [{ resource: 'table:index', actions: ['dynamodb:Query'] }],
    },
    verifySeries: {
      entry: 'lambdas/handlers/fixity/verify-series.ts',
      description: 'Fixity audit step: re-hash the stored instances of one series and compare with the index',
      memoryMb: 1024,
      // Hashes every instance of a series: the longest work Lambda allows.
      timeoutSeconds: 900,
      grants: [
        { resource: 'table:index', actions: ['dynamodb:Query'] },
        // ListBucket: a missing object must be NoSuchKey (reported as missing), not AccessDenied.
        { resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket'] },
      ],
    },
    startIndexMaintenance: {
      entry: 'lambdas/handlers/maintenance/start-index-maintenance.ts',
      description: 'Admin: start and follow an index maintenance run (orphan sweep, count reconciliation)',
      grants: [
        { resource: 'stateMachine:indexMaintenance', actions: ['states:StartExecution'] },
        { resource: 'execution:indexMaintenance', actions: ['states:DescribeExecution'] },
        appendAudit,
      ],
    },
    resumeDeletions: {
      entry: 'lambdas/handlers/maintenance/resume-deletions.ts',
      description: 'Index maintenance step: carry on deletions whose request or workflow died',
      grants: [
        // Query: the tenant's deletions under way (gsi3); UpdateItem: count the new attempt.
        { resource: 'table:index', actions: ['dynamodb:Query', 'dynamodb:UpdateItem'] },
        { resource: 'stateMachine:deletion', actions: ['states:StartExecution'] },
      ],
    },
    maintenanceTenants: {
      entry: 'lambdas/handlers/maintenance/maintenance-tenants.ts',
      description: 'Index maintenance, DR audit and fixity sweep step: the tenants a run covers (a scheduled run: every tenant with a usage balance)',
      grants: [{ resource: 'table:index', actions: ['dynamodb:Query'] }],
    },
    sweepOrphans: {
      entry: 'lambdas/handlers/maintenance/sweep-orphans.ts',
      description: 'Index maintenance step: index (through STOW) or report archive objects the index does not know',
      memoryMb: 1769,
      grants: [
        {
          resource: 'table:index',
          actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
        },
        // PutObjectTagging: an orphan indexed through STOW is written with its lifecycle policy class tags.
        { resource: 'bucket:archive', actions: ['s3:ListBucket', 's3:GetObject', 's3:PutObject', 's3:PutObjectTagging'] },
        ...holdAtIngest,
        withdrawPushedEntries,
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    reconcileCounts: {
      entry: 'lambdas/handlers/maintenance/reconcile-counts.ts',
      description: 'Index maintenance step: recompute study and series counts from the instance items and correct them',
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] }],
    },
    addTenantClaim: {
      entry: 'lambdas/handlers/identity/add-tenant-claim.ts',
      description: 'Cognito pre-token-generation trigger: adds the app client\'s tenant claim to its access tokens',
      grants: [{ resource: 'table:clients', actions: ['dynamodb:GetItem'] }],
      // Cognito waits 5 s for a trigger, then refuses the token request.
      timeoutSeconds: 5,
    },
    auditTrail: {
      entry: 'lambdas/handlers/audit/audit-trail.ts',
      description: 'Admin: query, export (JSON/CSV) and verify the audit trail',
      grants: [{ resource: 'table:audit', actions: ['dynamodb:Query', 'dynamodb:PutItem'] }],
    },
    // ---- cold retrieval (issue 12): the restore workflow, /restores, prior prefetch ----
    restorePages: {
      entry: 'lambdas/handlers/restores/restore-pages.ts',
      description: 'Restore workflow step: the series of the study (the pages the Map restores)',
      grants: [{ resource: 'table:index', actions: ['dynamodb:Query'] }],
    },
    restoreSeries: {
      entry: 'lambdas/handlers/restores/restore-series.ts',
      description: 'Restore workflow step: RestoreObject for the archived instances of one series',
      grants: [
        { resource: 'table:index', actions: ['dynamodb:Query'] },
        { resource: 'bucket:archive', actions: ['s3:RestoreObject'] },
      ],
    },
    recordRestoreRequests: {
      entry: 'lambdas/handlers/restores/record-restore-requests.ts',
      description: 'Restore workflow step: sums what S3 answered and ends a round with nothing to wait for',
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
        { resource: 'eventBus:default', actions: ['events:PutEvents'] },
      ],
    },
    restores: {
      entry: 'lambdas/handlers/restores/restores-api.ts',
      description: 'GET/POST /restores: restore archived studies ahead of a read and follow their progress',
      grants: [
        // GetItem/PutItem: the study's restore record (conditional put); Query: a patient's studies (gsi1),
        // a study's instances, the tenant's restores (gsi3).
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'] },
        { resource: 'stateMachine:restore', actions: ['states:StartExecution'] },
        appendAudit,
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    selectPriors: {
      entry: 'lambdas/handlers/restores/select-priors.ts',
      description: 'Prior prefetch step: the earlier studies of the patient the policy names',
      // GetItem: the new study; Query: the patient's studies (gsi1) and, for body parts, their series.
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query'] }],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    restorePrior: {
      entry: 'lambdas/handlers/restores/restore-prior.ts',
      description: 'Prior prefetch step: restore one prior study (joins a restore in progress)',
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'] },
        { resource: 'stateMachine:restore', actions: ['states:StartExecution'] },
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    // ---- re-classification (issue 12): pins and policy changes re-tag objects in bulk ----
    reclassifications: {
      entry: 'lambdas/handlers/lifecycle/reclassifications.ts',
      description: 'Admin: pin a study or re-evaluate the tenant after a policy change (re-classification workflow), and follow it',
      grants: [
        // UpdateItem: the study's pins (conditional on the study existing).
        { resource: 'table:index', actions: ['dynamodb:UpdateItem'] },
        { resource: 'stateMachine:reclassify', actions: ['states:StartExecution'] },
        { resource: 'execution:reclassify', actions: ['states:DescribeExecution'] },
        appendAudit,
      ],
    },
    reclassifyNextPage: {
      entry: 'lambdas/handlers/lifecycle/reclassify-next-page.ts',
      description: 'Re-classification step: the next page of studies (gsi3), or of studies whose last-access check is due, to re-evaluate',
      // Query: studies, tenants (usage balances), due checks; DeleteItem: the checks of the page handled (last-access run);
      // PutItem: a retry check for each study of the page whose step failed.
      grants: [{ resource: 'table:index', actions: ['dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:PutItem'] }],
    },
    reclassifyStudy: {
      entry: 'lambdas/handlers/lifecycle/reclassify-study.ts',
      description: 'Re-classification step: re-evaluate one study and re-tag the objects whose class changed',
      grants: [
        // PutItem: the study's next last-access check (last-access run); UpdateItem: a copied-back object's tier (instance, counts, usage).
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
        // Copy back to a warmer class: the restored copy read as the source of an in-place CopyObject, the archived version deleted
        // (unless Object Lock holds it: GetObjectLegalHold/Retention); ListBucket: 404s; AbortMultipartUpload: a
        // copy in parts (over 5 GB) that failed leaves no billed parts behind.
        {
          resource: 'bucket:archive',
          actions: [
            's3:GetObjectTagging', 's3:PutObjectTagging', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:ListBucket',
            's3:AbortMultipartUpload',
          ],
        },
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    reclassifyTally: {
      entry: 'lambdas/handlers/lifecycle/reclassify-tally.ts',
      description: 'Re-classification step: add a page\'s counts to the totals',
      grants: [],
    },
    recordFixityResult: {
      entry: 'lambdas/handlers/fixity/record-fixity-result.ts',
      description: 'Fixity audit step: record the outcome on the study',
      grants: [{ resource: 'table:index', actions: ['dynamodb:PutItem'] }],
    },
    // ---- legal holds (docs/legal-hold.md) ----
    legalHolds: {
      entry: 'lambdas/handlers/holds/legal-holds.ts',
      description: 'Legal holds: place, list, show and release (index at once, S3 by the legal-hold workflow)',
      grants: [
        // Hold items and registrations; the scope resolved by key (gsi1 patient, gsi2 accession, QIDO's plans).
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'] },
        { resource: 'stateMachine:legalHold', actions: ['states:StartExecution'] },
        // PutObject: the hold's ledger record under holds/<tenant>/ (a rebuild of the index gives the hold back, docs/dr.md).
        { resource: 'bucket:archive', actions: ['s3:PutObject'] },
        appendAudit,
      ],
    },
    listHeldStudies: {
      entry: 'lambdas/handlers/holds/list-held-studies.ts',
      description: 'Legal-hold workflow step: the hold\'s studies in batches',
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem'] }],
    },
    applyLegalHold: {
      entry: 'lambdas/handlers/holds/apply-legal-hold.ts',
      description: 'Legal-hold workflow step: mark (or unmark) a batch of studies\' instances and set (or clear) S3 legal holds on every version',
      // Sets a legal hold on every version of every object of a few studies.
      timeoutSeconds: 900,
      grants: [
        // PutItem: the marker that counts each held object into the hold once (with an UpdateItem, in a transaction).
        { resource: 'table:index', actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'] },
        // ListBucketVersions: each object's versions; PutObjectLegalHold on each version.
        { resource: 'bucket:archive', actions: ['s3:ListBucketVersions', 's3:PutObjectLegalHold'] },
      ],
    },
    finishLegalHold: {
      entry: 'lambdas/handlers/holds/finish-legal-hold.ts',
      description: 'Legal-hold workflow step: record the S3 state and audit the completed action with its counts',
      // PutObject: the hold's ledger record (docs/dr.md).
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] }, { resource: 'bucket:archive', actions: ['s3:PutObject'] }, appendAudit],
    },
    // Finance (docs/finance.md): reports and projections from the usage counters, read by Query.
    financeReports: {
      entry: 'lambdas/handlers/finance/opex.ts',
      description: 'Finance: monthly OpEx per tier, tenant and modality (JSON/CSV) and projections under lifecycle policies',
      grants: [{ resource: 'table:index', actions: ['dynamodb:Query'] }],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    // Disposition (issue 15, docs/disposition.md): the API and the four workflow steps.
    dispositions: {
      entry: 'lambdas/handlers/disposition/dispositions.ts',
      description: 'Admin: start a disposition dry run, read its report, approve or reject it',
      grants: [
        // PutItem/UpdateItem: the run; Query: its studies; BatchGetItem: legal holds of the report's studies.
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'] },
        // GetObject: the report (JSON, CSV); ListBucket: a missing report is NoSuchKey, not AccessDenied.
        { resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket'] },
        // SendTask*: the answer to the workflow's approval wait (task tokens of this state machine).
        { resource: 'stateMachine:disposition', actions: ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure'] },
        appendAudit,
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    // ---- console (issue 16, docs/finance.md#the-console): the web page for finance and administrators ----
    // Its static files only (built by Vite, infra/console/build.ts); every figure it shows comes from the
    // API with the token the user pastes. No grants: it reads nothing but its own files.
    console: {
      entry: 'lambdas/handlers/console/console-files.ts',
      description: 'The console web page (/console/): OpEx, projection and disposition charts, drawn from the API',
      grants: [],
      staticFiles: 'scripts/clients/console/dist',
    },
    restoreDisposedStudy: {
      entry: 'lambdas/handlers/disposition/restore-study.ts',
      description: 'Admin: restore a soft-deleted study within its recovery window',
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'] },
        // ListBucketVersions + DeleteObjectVersion: remove the delete markers above each object's newest version.
        // PutObject: the study's vault record emptied (a rebuild then knows it was restored, docs/dr.md).
        { resource: 'bucket:archive', actions: ['s3:ListBucketVersions', 's3:DeleteObjectVersion', 's3:PutObject'] },
        appendAudit,
      ],
    },
    evaluateStudies: {
      entry: 'lambdas/handlers/disposition/evaluate-studies.ts',
      description: 'Disposition step: evaluate candidate studies against the retention rules, then write the report',
      timeoutSeconds: 900,
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'] },
        // PutObject: report.json and report.csv under disposition/<tenant>/<id>/.
        { resource: 'bucket:archive', actions: ['s3:PutObject'] },
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    awaitDispositionApproval: {
      entry: 'lambdas/handlers/disposition/await-approval.ts',
      description: 'Disposition step: park the approval task token on the run',
      grants: [{ resource: 'table:index', actions: ['dynamodb:UpdateItem'] }],
    },
    softDeleteStudies: {
      entry: 'lambdas/handlers/disposition/soft-delete-studies.ts',
      description: 'Disposition step: re-check and soft-delete approved studies, then open the recovery window',
      timeoutSeconds: 900,
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'] },
        // DeleteObject: the delete marker; Object Lock look-ups first (ListBucket: 404, not 403, for a missing object);
        // ListBucketVersions + DeleteObjectVersion: a hold found mid-move puts the study back.
        // PutObject: the vault's and the run's records under disposition/<tenant>/ (a rebuild gives them back, docs/dr.md).
        {
          resource: 'bucket:archive',
          actions: ['s3:DeleteObject', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:ListBucket', 's3:ListBucketVersions', 's3:DeleteObjectVersion', 's3:PutObject'],
        },
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    purgeStudies: {
      entry: 'lambdas/handlers/disposition/purge-studies.ts',
      description: 'Disposition step: purge soft-deleted studies (every version, archive and DR replica) after the window, then the certificate of destruction',
      timeoutSeconds: 900,
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:BatchGetItem'] },
        // PutObject + PutObjectRetention: the certificate, under Object Lock (COMPLIANCE). GetObjectLegalHold +
        // GetObjectRetention: a version under Object Lock is looked for in every copy before anything is destroyed
        // (ListBucket: a version never locked answers 404 NoSuchObjectLockConfiguration, not 403).
        {
          resource: 'bucket:archive',
          actions: ['s3:ListBucket', 's3:ListBucketVersions', 's3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention', 's3:PutObject', 's3:PutObjectRetention'],
        },
        // The DR replica (docs/dr.md): delete markers are not replicated, so after the window the purge destroys
        // every version there too. Granted only where the DR stack is deployed (-c drBucketArn, infra/strata-stack.ts).
        { resource: 'bucket:dr-replica', actions: ['s3:ListBucket', 's3:ListBucketVersions', 's3:DeleteObjectVersion', 's3:GetObjectLegalHold', 's3:GetObjectRetention'] },
      ],
    },
    recordDispositionFailure: {
      entry: 'lambdas/handlers/disposition/record-failure.ts',
      description: 'Disposition step: a step failed after its retries; the run says FAILED, in which phase and why (resumed by POST /dispositions/{id}/resume)',
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] }],
    },
    // ---- discovery exports (issue 14, docs/exports.md): API, and the export workflow's four steps ----
    exports: {
      entry: 'lambdas/handlers/exports/exports-api.ts',
      description: 'Discovery exports: start one for a hold or a query, follow it, list files with time-limited download URLs',
      grants: [
        // The export item and its file rows (Get/Put/Query); the hold (GetItem); a query's studies (QIDO: Query, BatchGetItem).
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'] },
        // GetObject: what the presigned download URLs are signed for (ListBucket: a missing object is 404, not 403).
        { resource: 'bucket:exports', actions: ['s3:GetObject', 's3:ListBucket'] },
        { resource: 'stateMachine:export', actions: ['states:StartExecution'] },
        // GET /exports/signing-key: the archive's own word on the signing key, for checking a package.
        { resource: 'key:exportSigning', actions: ['kms:GetPublicKey'] },
        appendAudit,
      ],
    },
    planExport: {
      entry: 'lambdas/handlers/exports/plan-export.ts',
      description: 'Export workflow step: count the instances and bytes of the export\'s studies',
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] }],
    },
    copyExportPage: {
      entry: 'lambdas/handlers/exports/copy-export-page.ts',
      description: 'Export workflow step: copy one page of a study\'s instances into the package, re-hashing each; start or join the restore of archived ones',
      memoryMb: 1024,
      timeoutSeconds: 900,
      grants: [
        // Query: the study's instances and the rows already copied; PutItem: a file row (conditional); UpdateItem: progress.
        // GetItem/PutItem: the study's restore record (start or join a round).
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
        // ListBucket: a missing object is NoSuchKey (reported), not AccessDenied.
        { resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket'] },
        { resource: 'bucket:exports', actions: ['s3:PutObject', 's3:AbortMultipartUpload'] },
        { resource: 'stateMachine:restore', actions: ['states:StartExecution'] },
      ],
      // The default restore tier and days (policy `retrieval`).
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    tallyExport: {
      entry: 'lambdas/handlers/exports/tally-export.ts',
      description: 'Export workflow step: which studies still wait for a restore after a round, and until when',
      // UpdateItem: the round on the export; GetItem: the pending studies' restore records (when they are expected ready).
      grants: [{ resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] }],
    },
    finishExport: {
      entry: 'lambdas/handlers/exports/finish-export.ts',
      description: 'Export workflow step: manifest (CSV, JSON) and the KMS-signed summary of the package, then the audit record',
      timeoutSeconds: 900,
      grants: [
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] },
        { resource: 'bucket:exports', actions: ['s3:PutObject'] },
        { resource: 'key:exportSigning', actions: ['kms:Sign', 'kms:GetPublicKey'] },
        appendAudit,
      ],
    },
    // ---- presigned uploads (issue 17, docs/ingest.md) ----
    uploads: {
      entry: 'lambdas/handlers/uploads/uploads-api.ts',
      description: 'Presigned uploads: create (multipart uploads, presigned part URLs), complete a file, report its STOW-style result',
      grants: [
        // The upload's items: PutItem at creation, GetItem/UpdateItem at completion, Query for the report.
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'] },
        // PutObject: CreateMultipartUpload, the presigned UploadPart URLs (signed with this role) and CompleteMultipartUpload;
        // GetObject + ListBucket: HeadObject of a file whose completion answer was lost (404, not 403, when absent).
        { resource: 'bucket:archive', actions: ['s3:PutObject', 's3:GetObject', 's3:ListBucket'] },
        appendAudit,
      ],
    },
    indexUploadedObjects: {
      entry: 'lambdas/handlers/uploads/on-uploaded-object.ts',
      description: 'Presigned uploads: index an uploaded object from its header (ranged reads) with STOW\'s rules, verify its SHA-256, and record its result',
      // Parses headers, and hashes each object in ranges: the memory is for the SDK, one header (at most 32 MiB) and 4 ranges of 8 MiB.
      memoryMb: 512,
      // Hashing the whole object (one streamed read, in ranges) and a copy in parts of a very large one.
      timeoutSeconds: 900,
      grants: [
        // The upload's items (GetItem, UpdateItem), and STOW's index writes (instance, versions, counts).
        { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'] },
        // GetObject: ranged header reads; PutObject (+Tagging): the server-side copy and the metadata document;
        // DeleteObject: the staging object once recorded; AbortMultipartUpload: a failed copy in parts; ListBucket: 404s.
        { resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:AbortMultipartUpload'] },
        appendAudit,
        ...holdAtIngest,
        withdrawPushedEntries,
        { resource: 'stateMachine:priorPrefetch', actions: ['states:StartExecution'] },
      ],
      lifecyclePolicy: LIFECYCLE_POLICY,
    },
    // ---- disaster recovery (issue 18, docs/dr.md): the DR audit workflow's steps ----
    auditReplicaPage: {
      entry: 'lambdas/handlers/dr/audit-replica-page.ts',
      description: 'DR audit step: compare one page of a tenant\'s studies with the DR replica (missing, mismatched, extra)',
      memoryMb: 1024,
      grants: [
        // Query: the tenant's studies (gsi3), a study's instances and earlier versions; UpdateItem: a replica confirmed.
        { resource: 'table:index', actions: ['dynamodb:Query', 'dynamodb:UpdateItem'] },
        // ListObjectsV2 of a study's prefix and HeadObject (authorized as GetObject) for the stored SHA-256; never the bytes.
        { resource: 'bucket:dr-replica', actions: ['s3:ListBucket', 's3:GetObject'] },
      ],
    },
    finishDrAudit: {
      entry: 'lambdas/handlers/dr/finish-dr-audit.ts',
      description: 'DR audit step: publish the sums of a scheduled run as CloudWatch metrics (Strata/DR), which the DR alarms watch',
      // Metrics are Embedded Metric Format lines in its own log group: no grant beyond it.
      grants: [],
    },
    // ---- fixity sweep (issue 18, docs/dr.md): every primary object re-hashed once per cycle ----
    fixitySweepPage: {
      entry: 'lambdas/handlers/fixity/fixity-sweep-page.ts',
      description: 'Fixity sweep step: re-hash the next studies of a tenant from its saved position and keep each study\'s result',
      memoryMb: 1024,
      // Re-hashes up to ten studies: the longest work Lambda allows (it stops early when time runs short).
      timeoutSeconds: 900,
      grants: [
        // Query: the tenant's studies (gsi3), a study's series and instances; GetItem/PutItem: the sweep position
        // (conditional on its revision) and each study's fixity record.
        { resource: 'table:index', actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:PutItem'] },
        // ListBucket: a missing object must be NoSuchKey (reported as missing), not AccessDenied.
        { resource: 'bucket:archive', actions: ['s3:GetObject', 's3:ListBucket'] },
      ],
    },
    finishFixitySweep: {
      entry: 'lambdas/handlers/fixity/finish-fixity-sweep.ts',
      description: 'Fixity sweep step: publish the run\'s sums as CloudWatch metrics (Strata/Fixity), which the fixity alarms watch',
      // Metrics are Embedded Metric Format lines in its own log group: no grant beyond it.
      grants: [],
    },
  },
  routes: [
    { method: 'GET', path: '/health', function: 'health' },
    { method: 'POST', path: '/dicom-web/studies', function: 'storeInstances', scope: 'dicom.write' },
    { method: 'POST', path: '/dicom-web/studies/{study}', function: 'storeInstances', scope: 'dicom.write' },
    { method: 'GET', path: '/dicom-web/studies', function: 'searchForStudies', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/series', function: 'searchForStudies', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/instances', function: 'searchForStudies', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series', function: 'searchForStudies', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/instances', function: 'searchForStudies', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/instances', function: 'searchForStudies', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}', function: 'retrieve', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/metadata', function: 'retrieve', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}', function: 'retrieve', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/metadata', function: 'retrieve', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}', function: 'retrieve', scope: 'dicom.read' },
    {
      method: 'GET',
      path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}/metadata',
      function: 'retrieve',
      scope: 'dicom.read',
    },
    {
      method: 'GET',
      path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}/frames/{frames}',
      function: 'retrieve',
      scope: 'dicom.read',
    },
    {
      method: 'GET',
      path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}/bulkdata/{path+}',
      function: 'retrieve',
      scope: 'dicom.read',
    },
    { method: 'GET', path: '/dicom-web/studies/{study}/rendered', function: 'renderImages', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/thumbnail', function: 'renderImages', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/rendered', function: 'renderImages', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/thumbnail', function: 'renderImages', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}/rendered', function: 'renderImages', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}/thumbnail', function: 'renderImages', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/rendered', function: 'renderImages', scope: 'dicom.read' },
    { method: 'GET', path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}/frames/{frames}/thumbnail', function: 'renderImages', scope: 'dicom.read' },
    { method: 'DELETE', path: '/dicom-web/studies/{study}', function: 'deleteResources', scope: 'dicom.delete' },
    { method: 'DELETE', path: '/dicom-web/studies/{study}/series/{series}', function: 'deleteResources', scope: 'dicom.delete' },
    { method: 'DELETE', path: '/dicom-web/studies/{study}/series/{series}/instances/{instance}', function: 'deleteResources', scope: 'dicom.delete' },
    { method: 'GET', path: '/deletions/{id}', function: 'deletions', scope: 'dicom.delete' },
    { method: 'POST', path: '/admin/fixity-audits', function: 'startFixityAudit', scope: 'ilm.admin' },
    { method: 'GET', path: '/admin/fixity-audits/{execution}', function: 'startFixityAudit', scope: 'ilm.admin' },
    { method: 'POST', path: '/admin/index-maintenance', function: 'startIndexMaintenance', scope: 'ilm.admin' },
    { method: 'GET', path: '/admin/index-maintenance/{execution}', function: 'startIndexMaintenance', scope: 'ilm.admin' },
    // Cold retrieval: dicom.read, as a WADO read of the same study would start the same restore.
    { method: 'POST', path: '/restores', function: 'restores', scope: 'dicom.read' },
    { method: 'GET', path: '/restores', function: 'restores', scope: 'dicom.read' },
    { method: 'GET', path: '/restores/{id}', function: 'restores', scope: 'dicom.read' },
    { method: 'POST', path: '/admin/reclassifications', function: 'reclassifications', scope: 'ilm.admin' },
    { method: 'GET', path: '/admin/reclassifications/{execution}', function: 'reclassifications', scope: 'ilm.admin' },
    { method: 'GET', path: '/audit', function: 'auditTrail', scope: 'admin' },
    { method: 'GET', path: '/audit/verification', function: 'auditTrail', scope: 'admin' },
    // ---- legal holds ----
    { method: 'POST', path: '/holds', function: 'legalHolds', scope: 'legal.hold' },
    { method: 'GET', path: '/holds', function: 'legalHolds', scope: 'legal.hold' },
    { method: 'GET', path: '/holds/{id}', function: 'legalHolds', scope: 'legal.hold' },
    { method: 'POST', path: '/holds/{id}/release', function: 'legalHolds', scope: 'legal.hold' },
    // Finance (docs/finance.md)
    { method: 'GET', path: '/finance/opex', function: 'financeReports', scope: 'finance.read' },
    { method: 'GET', path: '/finance/projection', function: 'financeReports', scope: 'finance.read' },
    { method: 'POST', path: '/finance/projection', function: 'financeReports', scope: 'finance.read' },
    // Disposition (issue 15): approving or rejecting also needs the admin scope (checked by the handler).
    { method: 'POST', path: '/dispositions', function: 'dispositions', scope: 'ilm.admin' },
    { method: 'GET', path: '/dispositions/{id}', function: 'dispositions', scope: 'ilm.admin' },
    { method: 'POST', path: '/dispositions/{id}/approve', function: 'dispositions', scope: 'admin' },
    { method: 'POST', path: '/dispositions/{id}/reject', function: 'dispositions', scope: 'admin' },
    { method: 'POST', path: '/dispositions/{id}/resume', function: 'dispositions', scope: 'admin' },
    { method: 'POST', path: '/dispositions/restore', function: 'restoreDisposedStudy', scope: 'ilm.admin' },
    // The console's runs list: the latest dry run's saving (issue 16).
    { method: 'GET', path: '/dispositions', function: 'dispositions', scope: 'ilm.admin' },
    // ---- console (issue 16): public static files, no data; the page signs in with a bearer token ----
    { method: 'GET', path: '/console', function: 'console' },
    { method: 'GET', path: '/console/{path+}', function: 'console' },
    // ---- discovery exports (issue 14): counsel's scope, as for the holds they export ----
    { method: 'POST', path: '/exports', function: 'exports', scope: 'legal.hold' },
    { method: 'GET', path: '/exports', function: 'exports', scope: 'legal.hold' },
    { method: 'GET', path: '/exports/{id}', function: 'exports', scope: 'legal.hold' },
    { method: 'GET', path: '/exports/{id}/files', function: 'exports', scope: 'legal.hold' },
    { method: 'GET', path: '/exports/signing-key', function: 'exports', scope: 'legal.hold' },
    // ---- presigned uploads (issue 17) ----
    { method: 'POST', path: '/dicom-web/uploads', function: 'uploads', scope: 'dicom.write' },
    { method: 'GET', path: '/dicom-web/uploads/{id}', function: 'uploads', scope: 'dicom.write' },
    { method: 'GET', path: '/dicom-web/uploads/{id}/files/{file}/parts', function: 'uploads', scope: 'dicom.write' },
    { method: 'POST', path: '/dicom-web/uploads/{id}/files/{file}/complete', function: 'uploads', scope: 'dicom.write' },
  ],
  eventRules: [
    {
      name: 'archive-object-changes',
      bucket: 'archive',
      detailTypes: ['Object Storage Class Changed', 'Object Restore Completed', 'Object Restore Expired', 'Object Deleted'],
      function: 'onObjectEvent',
    },
    // Presigned uploads: a completed upload under the uploads prefix is indexed.
    { name: 'presigned-uploads', bucket: 'archive', detailTypes: ['Object Created'], keyPrefix: UPLOADS_PREFIX, function: 'indexUploadedObjects' },
  ],
  stateMachines: {
    fixityAudit: {
      file: 'statemachines/fixity-audit.asl.json',
      functions: {
        ListStudySeriesFunctionArn: 'listStudySeries',
        VerifySeriesFunctionArn: 'verifySeries',
        RecordFixityResultFunctionArn: 'recordFixityResult',
      },
    },
    restore: {
      file: 'statemachines/restore.asl.json',
      functions: {
        RestorePagesFunctionArn: 'restorePages',
        RestoreSeriesFunctionArn: 'restoreSeries',
        RecordRestoreRequestsFunctionArn: 'recordRestoreRequests',
      },
    },
    priorPrefetch: {
      file: 'statemachines/prior-prefetch.asl.json',
      functions: { SelectPriorsFunctionArn: 'selectPriors', RestorePriorFunctionArn: 'restorePrior' },
    },
    reclassify: {
      file: 'statemachines/reclassify.asl.json',
      functions: {
        ReclassifyNextPageFunctionArn: 'reclassifyNextPage',
        ReclassifyStudyFunctionArn: 'reclassifyStudy',
        ReclassifyTallyFunctionArn: 'reclassifyTally',
      },
      // The last-access run (docs/lifecycle.md): daily in AWS; the local runtime runs it at every start.
      schedule: 'rate(1 day)',
    },
    indexMaintenance: {
      file: 'statemachines/index-maintenance.asl.json',
      functions: { MaintenanceTenantsFunctionArn: 'maintenanceTenants', ResumeDeletionsFunctionArn: 'resumeDeletions', SweepOrphansFunctionArn: 'sweepOrphans', ReconcileCountsFunctionArn: 'reconcileCounts' },
      // Hourly in AWS; the local runtime runs it at every start.
      schedule: 'rate(1 hour)',
    },
    deletion: {
      file: 'statemachines/deletion.asl.json',
      functions: { ContinueDeletionFunctionArn: 'continueDeletion' },
    },
    legalHold: {
      file: 'statemachines/legal-hold.asl.json',
      functions: {
        ListHeldStudiesFunctionArn: 'listHeldStudies',
        ApplyLegalHoldFunctionArn: 'applyLegalHold',
        FinishLegalHoldFunctionArn: 'finishLegalHold',
      },
    },
    disposition: {
      file: 'statemachines/disposition.asl.json',
      functions: {
        EvaluateStudiesFunctionArn: 'evaluateStudies',
        AwaitApprovalFunctionArn: 'awaitDispositionApproval',
        SoftDeleteStudiesFunctionArn: 'softDeleteStudies',
        PurgeStudiesFunctionArn: 'purgeStudies',
        RecordFailureFunctionArn: 'recordDispositionFailure',
      },
      // Past 1,000 page calls an execution hands the run to a new one (docs/disposition.md, "Bounded history and cost").
      continuesAsNew: true,
      // A step that fails after its retries leaves the run FAILED, to be resumed: an operator must hear of it.
      failureAlarm: 'A disposition run failed after its retries, timed out or was aborted: its run shows FAILED (GET /dispositions?limit=10); remove the cause and resume it (docs/disposition.md)',
    },
    export: {
      file: 'statemachines/export.asl.json',
      functions: {
        PlanExportFunctionArn: 'planExport',
        CopyExportPageFunctionArn: 'copyExportPage',
        TallyExportFunctionArn: 'tallyExport',
        FinishExportFunctionArn: 'finishExport',
      },
    },
    // Disaster recovery (docs/dr.md): the replica audit, daily in AWS; the alarms watch the sums it publishes.
    drAudit: {
      file: 'statemachines/dr-audit.asl.json',
      functions: { TenantsFunctionArn: 'maintenanceTenants', AuditReplicaPageFunctionArn: 'auditReplicaPage', FinishDrAuditFunctionArn: 'finishDrAudit' },
      schedule: 'rate(1 day)',
      // It reads every replica: locally `npm run dr-audit -- --local`, or started through the local Step Functions.
      runsAtLocalStart: false,
      alarms: DR_ALARMS,
    },
    // The fixity sweep (docs/dr.md): daily in AWS, resuming each tenant where the previous run stopped.
    fixitySweep: {
      file: 'statemachines/fixity-sweep.asl.json',
      functions: { TenantsFunctionArn: 'maintenanceTenants', FixitySweepPageFunctionArn: 'fixitySweepPage', FinishFixitySweepFunctionArn: 'finishFixitySweep' },
      schedule: 'rate(1 day)',
      // It re-reads every object: locally started through the local Step Functions, not at every start.
      runsAtLocalStart: false,
      alarms: FIXITY_ALARMS,
    },
  },
  // Disaster recovery (docs/dr.md): the archive replicated into the DR region's bucket, locks included.
  replication: { source: 'archive', replica: 'dr-replica', storageClass: 'STANDARD', deleteMarkers: false },
  signingKeys: {
    // Signs each discovery export's summary.json (docs/exports.md); verifiable with its public key alone.
    exportSigning: { description: 'Strata: signs discovery export summaries', spec: 'ECC_NIST_P256', algorithm: 'ECDSA_SHA_256' },
  },
} as const satisfies SystemDeclaration);

/**
 * Workflow references (docs/security.md, core/workflows/references.ts): what AWS keeps of an
 * execution names no UID. A function that starts or follows a workflow turns an input's UIDs
 * into references and an output's references back; a workflow task resolves its input's and
 * references its result's. Each reference is one item of the index (GetItem, PutItem by key), so
 * those functions, derived here from the declaration rather than listed, hold exactly that grant,
 * limited to the reference and salt items (`dynamodb:LeadingKeys`): a function that only reads
 * the index, or none of it, cannot write or read anything else through it.
 */
function withWorkflowReferences<T extends SystemDeclaration>(declaration: T): T {
  const references = { resource: 'table:index', actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], leadingKeys: REFERENCE_PARTITION_PATTERNS } as const;
  const tasks = new Set(Object.values(declaration.stateMachines).flatMap((machine) => Object.values(machine.functions)));
  const usesWorkflows = (name: string, fn: FunctionDeclaration) =>
    tasks.has(name) || fn.grants.some((grant) => grant.actions.includes('states:StartExecution') || grant.actions.includes('states:DescribeExecution'));
  const functions = Object.fromEntries(
    Object.entries(declaration.functions).map(([name, fn]) => [name, usesWorkflows(name, fn) ? { ...fn, grants: [...fn.grants, references] } : fn]),
  );
  return { ...declaration, functions } as T;
}

export type StrataSystem = typeof system;
export type FunctionName = keyof StrataSystem['functions'];
