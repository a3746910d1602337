/**
 * CloudWatch Embedded Metric Format (EMF): a metric is one JSON log line that CloudWatch Logs
 * turns into a datapoint, with no API call and no grant beyond the function's own log stream
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * Pure: the caller gives the time and writes the line.
 */

export type MetricUnit = 'Count' | 'Seconds';

export interface MetricValue {
  readonly name: string;
  readonly value: number;
  readonly unit: MetricUnit;
}

/** At most 100 metrics per document (the specification's limit); names unique. */
const MAX_METRICS = 100;

/**
 * The dimension every Strata metric carries: the deployment (the primary stack's name) that
 * published it, so two deployments in one account (staging and production) never feed each
 * other's alarms; the alarms (infra/constructs/workflows.ts) name it. Its value is in `DEPLOYMENT_ENV`.
 */
export const DEPLOYMENT_DIMENSION = 'Deployment';
export const DEPLOYMENT_ENV = 'STRATA_DEPLOYMENT';

/** One EMF document: the metrics of one namespace under one set of dimensions (none, or e.g. the deployment). */
export function embeddedMetricDocument(
  namespace: string,
  metrics: readonly MetricValue[],
  timestampMs: number,
  dimensions: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  if (metrics.length === 0 || metrics.length > MAX_METRICS) throw new RangeError(`an EMF document holds 1 to ${MAX_METRICS} metrics, not ${metrics.length}`);
  if (new Set(metrics.map((m) => m.name)).size !== metrics.length) throw new RangeError('metric names must be unique in one document');
  for (const metric of metrics) if (!Number.isFinite(metric.value)) throw new RangeError(`metric ${metric.name} is not a finite number`);
  for (const name of Object.keys(dimensions)) if (metrics.some((m) => m.name === name)) throw new RangeError(`${name} is both a dimension and a metric`);
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [Object.keys(dimensions)], Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })) }],
    },
    // A dimension's value is a member of the document's root, as a metric's is.
    ...dimensions,
    ...Object.fromEntries(metrics.map((m) => [m.name, m.value])),
  };
}

export interface Datapoint {
  namespace: string;
  name: string;
  /** The dimensions' values (the first dimension set's), when it has any. */
  dimensions?: Record<string, string>;
  value: number;
  unit: string;
  timestampMs: number;
}

/**
 * The datapoints of a log line, as CloudWatch Logs extracts them; none for a line that is not
 * an EMF document (most lines), so a reader can pass every line it sees.
 */
export function datapointsOfLogLine(line: string): Datapoint[] {
  if (!line.startsWith('{') || !line.includes('"_aws"')) return [];
  let document: { _aws?: { Timestamp?: unknown; CloudWatchMetrics?: unknown } } & Record<string, unknown>;
  try {
    document = JSON.parse(line) as typeof document;
  } catch {
    return [];
  }
  const timestampMs = document._aws?.Timestamp;
  const directives = document._aws?.CloudWatchMetrics;
  if (typeof timestampMs !== 'number' || !Array.isArray(directives)) return [];
  const datapoints: Datapoint[] = [];
  for (const directive of directives as { Namespace?: unknown; Dimensions?: unknown; Metrics?: { Name?: unknown; Unit?: unknown }[] }[]) {
    if (typeof directive.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    const names = Array.isArray(directive.Dimensions) && Array.isArray(directive.Dimensions[0]) ? (directive.Dimensions[0] as unknown[]) : [];
    const values = names.map((name) => [name, typeof name === 'string' ? document[name] : undefined] as const);
    // CloudWatch drops a directive whose dimension has no string value at the root.
    if (values.some(([, value]) => typeof value !== 'string')) continue;
    const dimensions = values.length ? { dimensions: Object.fromEntries(values) as Record<string, string> } : {};
    for (const metric of directive.Metrics) {
      const value = typeof metric.Name === 'string' ? document[metric.Name] : undefined;
      if (typeof value !== 'number') continue;
      datapoints.push({ namespace: directive.Namespace, name: metric.Name as string, ...dimensions, value, unit: typeof metric.Unit === 'string' ? metric.Unit : 'None', timestampMs });
    }
  }
  return datapoints;
}
