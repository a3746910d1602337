/**
 * CloudWatch metrics as Embedded Metric Format lines on the function's standard output
 * (core/metrics/embedded-metrics.ts): CloudWatch Logs extracts them from the function's log
 * group, so publishing needs no SDK call and no grant. Written to stdout directly, not through
 * console.log, whose prefix would hide the JSON from the extraction. The local runtime reads
 * the same lines (infra/local/metrics.ts).
 */
import { embeddedMetricDocument, type MetricValue } from '#core/metrics/embedded-metrics.ts';
import { clock } from './clock.ts';

export function publishMetrics(namespace: string, metrics: readonly MetricValue[]): void {
  process.stdout.write(`${JSON.stringify(embeddedMetricDocument(namespace, metrics, clock.now().getTime()))}\n`);
}
