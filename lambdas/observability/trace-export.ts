/**
 * Sends the data plane's spans (request-span.ts) to X-Ray, as Lambda's active tracing does for
 * the functions: over OTLP/HTTP to the task's AWS Distro for OpenTelemetry collector
 * (infra/constructs/data-plane-service.ts), whose awsxray exporter calls PutTraceSegments with
 * the task role. X-Ray takes only its own trace ids (a timestamp, then random), hence
 * AWSXRayIdGenerator. Spans go in batches, off the request's path; `shutdown` flushes them.
 *
 * Started by the container's entry point when the collector's endpoint is configured; never
 * locally, where the spans are no-ops as the functions' traces are.
 */
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface TraceExport {
  /** Sends what is still buffered and stops. */
  shutdown(): Promise<void>;
}

/** Registers the process's tracer provider: spans of `serviceName` to the OTLP/HTTP collector at `endpoint` (e.g. http://127.0.0.1:4318). */
export function exportTraces(options: { endpoint: string; serviceName: string }): TraceExport {
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    idGenerator: new AWSXRayIdGenerator(),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}
