/** The state the index-maintenance workflow (statemachines/index-maintenance.asl.json) passes between the steps of one tenant. */
import type { ReconcileState } from '#services/maintenance/reconcile-counts.ts';
import type { SweepState } from '#services/maintenance/sweep-orphans.ts';

export interface MaintenanceState {
  tenant: string;
  /** A run for one tenant reports in full; a scheduled one, counts only. */
  detailed?: boolean;
  /** Deletions under way, and those resumed because nobody was working on them. */
  deletions?: { underWay: number; resumed: number };
  /** Present (with a cursor) while the sweep has pages left; its totals once done. */
  sweep?: SweepState;
  reconcile?: ReconcileState;
}
