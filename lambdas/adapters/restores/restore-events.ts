/**
 * Strata's restore events on EventBridge (source `strata.restores`): what a viewer, a worklist
 * or an export waits for instead of polling. The detail names the study and the tenant, no
 * patient attributes.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { restoreView, type RestoreRecord } from '#core/restores/restore-record.ts';
import { config } from '#lambdas/config.ts';
import { eventBridgeClient } from '#adapters/aws-clients.ts';

export const RESTORE_EVENT_SOURCE = 'strata.restores';

export async function publishRestoreCompleted(record: RestoreRecord): Promise<void> {
  const result = await eventBridgeClient().send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: config.eventBus(),
          Source: RESTORE_EVENT_SOURCE,
          DetailType: 'Restore Completed',
          Detail: JSON.stringify({ tenant: record.tenant, ...restoreView(record) }),
        },
      ],
    }),
  );
  // PutEvents answers 200 even when an entry failed: a failure must surface, so the event handler is retried.
  if (result.FailedEntryCount) throw new Error(`EventBridge refused the restore event: ${result.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
}
