/** What the scheduled fixity sweep publishes to CloudWatch (services/fixity/fixity-sweep.ts), summed over tenants; the alarms in infra/system.ts watch it. */
export const FIXITY_METRICS_NAMESPACE = 'Strata/Fixity';

export const FIXITY_METRIC = {
  /** Instances whose bytes are gone or no longer match their recorded SHA-256. */
  damaged: 'DamagedInstances',
  verified: 'VerifiedInstances',
  /** Instances in an archive tier, counted and not read. */
  cold: 'ColdInstances',
  /** Series whose reads kept failing. */
  unverifiable: 'UnverifiableSeries',
  /** Tenants whose sweep failed after its retries. */
  failedTenants: 'FailedSweepTenants',
} as const;
