/**
 * What Cost Explorer billed one month for the resources carrying a cost allocation tag, per
 * usage type (`GetCostAndUsage`, unblended cost; the caller's AWS credentials, which need
 * `ce:GetCostAndUsage`). The tag must have been activated as a cost allocation tag in the
 * payer account's Billing console; until then Cost Explorer knows no charges under it.
 */
import { CostExplorerClient, GetCostAndUsageCommand, type GetCostAndUsageCommandOutput } from '@aws-sdk/client-cost-explorer';
import type { BilledUsage } from '#core/finance/reconcile.ts';

/** `month`: YYYY-MM. */
export async function billedUsage(month: string, tag: { key: string; value: string }, client = new CostExplorerClient({ region: 'us-east-1' })): Promise<BilledUsage[]> {
  const start = `${month}-01`;
  const next = new Date(`${start}T00:00:00Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const usage = new Map<string, number>();
  let NextPageToken: string | undefined;
  do {
    const page: GetCostAndUsageCommandOutput = await client.send(
      new GetCostAndUsageCommand({
        TimePeriod: { Start: start, End: next.toISOString().slice(0, 10) },
        Granularity: 'MONTHLY',
        Metrics: ['UnblendedCost'],
        Filter: { Tags: { Key: tag.key, Values: [tag.value], MatchOptions: ['EQUALS'] } },
        GroupBy: [{ Type: 'DIMENSION', Key: 'USAGE_TYPE' }],
        NextPageToken,
      }),
    );
    for (const result of page.ResultsByTime ?? []) {
      for (const group of result.Groups ?? []) {
        const usageType = group.Keys?.[0];
        const amount = group.Metrics?.UnblendedCost;
        if (!usageType || !amount) continue;
        if (amount.Unit && amount.Unit !== 'USD') throw new Error(`Cost Explorer answered in ${amount.Unit}; the model prices in USD`);
        usage.set(usageType, (usage.get(usageType) ?? 0) + Number(amount.Amount));
      }
    }
    NextPageToken = page.NextPageToken;
  } while (NextPageToken);
  return [...usage].map(([usageType, usd]) => ({ usageType, usd }));
}
