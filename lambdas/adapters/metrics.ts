/**
 * CloudWatch metrics as Embedded Metric Format lines on the function's standard output
 * (core/metrics/embedded-metrics.ts): CloudWatch Logs extracts them from the function's log
 * group, so publishing needs no SDK call and no grant. Written to stdout directly, not through
 * console.log, whose prefix would hide the JSON from the extraction. The local runtime reads
 * the same lines (infra/local/metrics.ts).
 */
import { DEPLOYMENT_DIMENSION, embeddedMetricDocument, type MetricValue } from '#core/metrics/embedded-metrics.ts';
import { config } from '#lambdas/config.ts';
import { clock } from './clock.ts';

/** Published under this deployment's name (the `Deployment` dimension the alarms watch). */
export function publishMetrics(namespace: string, metrics: readonly MetricValue[]): void {
  const document = embeddedMetricDocument(namespace, metrics, clock.now().getTime(), { [DEPLOYMENT_DIMENSION]: config.deployment });
  process.stdout.write(`${JSON.stringify(document)}\n`);
}
