/**
 * What the scheduled DR audit publishes (core/dr/audit-metrics.ts) and the Embedded Metric
 * Format it is published in (core/metrics/embedded-metrics.ts): the sums over tenants, and a
 * document CloudWatch (and the local sink) reads back to the same datapoints.
 */
import { describe, expect, it } from 'vitest';
import { drAuditMetrics, DR_METRIC, DR_METRICS_NAMESPACE } from '#core/dr/audit-metrics.ts';
import { datapointsOfLogLine, DEPLOYMENT_DIMENSION, embeddedMetricDocument } from '#core/metrics/embedded-metrics.ts';

describe('the DR audit\'s metrics', () => {
  it('sums the counts over tenants, takes the oldest unreplicated age, and counts failed tenants', () => {
    const metrics = drAuditMetrics([
      { tenant: 'a', missingCount: 2, mismatchedCount: 0, extraCount: 1, pending: 3, oldestUnreplicatedSeconds: 1200 },
      { tenant: 'b', missingCount: 1, mismatchedCount: 4, extraCount: 0, pending: 0, oldestUnreplicatedSeconds: 5000 },
      { tenant: 'c', failed: 'ConfigurationError' },
    ]);
    expect(Object.fromEntries(metrics.map((m) => [m.name, m.value]))).toEqual({
      [DR_METRIC.unreplicated]: 3,
      [DR_METRIC.mismatched]: 4,
      [DR_METRIC.extra]: 1,
      [DR_METRIC.pending]: 3,
      [DR_METRIC.oldestUnreplicated]: 5000,
      [DR_METRIC.failedTenants]: 1,
    });
    expect(metrics.find((m) => m.name === DR_METRIC.oldestUnreplicated)?.unit).toBe('Seconds');
  });

  it('publishes zeros, not nothing, for an archive with no tenant (an alarm then returns to OK)', () => {
    expect(drAuditMetrics([]).map((m) => m.value)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('Embedded Metric Format', () => {
  it('writes one document without dimensions that reads back to the same datapoints', () => {
    const document = embeddedMetricDocument(DR_METRICS_NAMESPACE, drAuditMetrics([{ tenant: 'a', missingCount: 1 }]), 1_700_000_000_000);
    expect(document._aws).toEqual({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [{ Namespace: 'Strata/DR', Dimensions: [[]], Metrics: expect.arrayContaining([{ Name: 'UnreplicatedObjects', Unit: 'Count' }]) }],
    });
    const points = datapointsOfLogLine(JSON.stringify(document));
    expect(points).toHaveLength(6);
    expect(points.find((p) => p.name === 'UnreplicatedObjects')).toEqual({ namespace: 'Strata/DR', name: 'UnreplicatedObjects', value: 1, unit: 'Count', timestampMs: 1_700_000_000_000 });
  });

  it('writes the deployment as a dimension (its value at the root), which the alarms of that deployment only match', () => {
    const document = embeddedMetricDocument(DR_METRICS_NAMESPACE, [{ name: 'UnreplicatedObjects', value: 2, unit: 'Count' }], 5, { [DEPLOYMENT_DIMENSION]: 'StrataStaging' });
    expect(document).toEqual({
      _aws: { Timestamp: 5, CloudWatchMetrics: [{ Namespace: 'Strata/DR', Dimensions: [['Deployment']], Metrics: [{ Name: 'UnreplicatedObjects', Unit: 'Count' }] }] },
      Deployment: 'StrataStaging',
      UnreplicatedObjects: 2,
    });
    expect(datapointsOfLogLine(JSON.stringify(document))).toEqual([
      { namespace: 'Strata/DR', name: 'UnreplicatedObjects', dimensions: { Deployment: 'StrataStaging' }, value: 2, unit: 'Count', timestampMs: 5 },
    ]);
    // CloudWatch drops a directive whose dimension has no value: so does the reader.
    const { Deployment: _dropped, ...valueless } = document;
    expect(datapointsOfLogLine(JSON.stringify(valueless))).toEqual([]);
    expect(() => embeddedMetricDocument('N', [{ name: 'A', value: 1, unit: 'Count' }], 0, { A: 'x' })).toThrow(/both a dimension and a metric/);
  });

  it('refuses what CloudWatch would drop: no metric, a repeated name, a value that is not a finite number', () => {
    expect(() => embeddedMetricDocument('N', [], 0)).toThrow(RangeError);
    expect(() => embeddedMetricDocument('N', [{ name: 'A', value: 1, unit: 'Count' }, { name: 'A', value: 2, unit: 'Count' }], 0)).toThrow(/unique/);
    expect(() => embeddedMetricDocument('N', [{ name: 'A', value: Number.NaN, unit: 'Count' }], 0)).toThrow(/finite/);
  });

  it('reads no datapoint from an ordinary log line, a broken one, or a metric whose value is missing', () => {
    expect(datapointsOfLogLine('{"level":"INFO","message":"stored"}')).toEqual([]);
    expect(datapointsOfLogLine('{"_aws": {')).toEqual([]);
    expect(datapointsOfLogLine('plain text "_aws"')).toEqual([]);
    expect(datapointsOfLogLine(JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Metrics: [{ Name: 'A' }] }] } }))).toEqual([]);
  });
});
