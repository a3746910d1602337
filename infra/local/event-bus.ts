/**
 * The local EventBridge: matches events against the declared rules (source `aws.s3`, the
 * rule's detail types, the rule's bucket, its key prefix if any) and invokes the target function asynchronously,
 * retrying a failed delivery twice as Lambda does for asynchronous invocations. Strata's own
 * events (PutEvents through `eventsApi`, e.g. a completed restore) are kept in `published`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBridgeEvent } from 'aws-lambda';
import type { Clock } from '#adapters/clock.ts';
import type { EventRuleDeclaration } from '#infra/system-types.ts';
import { readAll } from './read-body.ts';
import type { S3Event } from './s3/s3-events.ts';

export interface EventTarget {
  invoke(functionName: string, event: unknown): Promise<unknown>;
}

export interface DeliveryRecord {
  rule: string;
  function: string;
  detailType: string;
  key: string;
  ok: boolean;
  error?: string;
}

const RETRIES = 2;

export class LocalEventBus {
  private readonly inFlight = new Set<Promise<void>>();
  /** Recent deliveries, newest last (bounded), for tests and the /_local/events view. */
  readonly deliveries: DeliveryRecord[] = [];
  /** Recent events put by functions (PutEvents), newest last (bounded). */
  readonly published: EventBridgeEvent<string, unknown>[] = [];

  constructor(
    private readonly rules: readonly EventRuleDeclaration[],
    private readonly physicalBucket: (logical: string) => string,
    private readonly target: EventTarget,
    private readonly log: (message: string) => void = () => {},
  ) {}

  matchingRules(event: S3Event): EventRuleDeclaration[] {
    return this.rules.filter(
      (rule) =>
        event.source === 'aws.s3' &&
        rule.detailTypes.includes(event['detail-type']) &&
        this.physicalBucket(rule.bucket) === event.detail.bucket.name &&
        (rule.keyPrefix === undefined || event.detail.object.key.startsWith(rule.keyPrefix)),
    );
  }

  publish(event: S3Event): void {
    this.remember(event);
    for (const rule of this.matchingRules(event)) {
      const delivery = this.deliver(rule, event).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Resolves when every delivery published so far (and those they caused) has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(rule: EventRuleDeclaration, event: S3Event): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      try {
        await this.target.invoke(rule.function, event);
        this.record({ rule: rule.name, function: rule.function, detailType: event['detail-type'], key: event.detail.object.key, ok: true });
        return;
      } catch (error) {
        lastError = error;
      }
    }
    const message = lastError instanceof Error ? lastError.message : String(lastError);
    this.log(`event ${event['detail-type']} for ${event.detail.object.key} dropped after ${RETRIES + 1} attempts: ${message}`);
    this.record({
      rule: rule.name,
      function: rule.function,
      detailType: event['detail-type'],
      key: event.detail.object.key,
      ok: false,
      error: message,
    });
  }

  private remember(event: EventBridgeEvent<string, unknown>): void {
    if (event.source === 'aws.s3') return;
    this.published.push(event);
    if (this.published.length > 1000) this.published.shift();
  }

  /**
   * The EventBridge API (AWS JSON 1.1) for PutEvents, so functions publish with the real
   * @aws-sdk/client-eventbridge. Entries are checked as EventBridge does (Source, DetailType and
   * a JSON object Detail); a bad entry fails alone, reported in the answer.
   */
  eventsApi(clock: Clock, region: string, account: string) {
    return (req: IncomingMessage, res: ServerResponse): void =>
      void readAll(req).then((body) => {
        const send = (status: number, answer: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
        const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop();
        if (operation !== 'PutEvents') return send(400, { __type: 'UnknownOperationException', message: `${operation} is not offered by the local EventBridge` });
        let request: { Entries?: { Source?: string; DetailType?: string; Detail?: string; Resources?: string[] }[] };
        try {
          request = JSON.parse(body.toString('utf8') || '{}');
        } catch {
          return send(400, { __type: 'SerializationException', message: 'the body is not JSON' });
        }
        const entries = (request.Entries ?? []).map((entry) => {
          let detail: unknown;
          try {
            detail = JSON.parse(entry.Detail ?? '');
          } catch {
            detail = undefined;
          }
          if (!entry.Source || !entry.DetailType || typeof detail !== 'object' || detail === null) {
            return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Source, DetailType and a JSON object Detail are required' };
          }
          const id = randomUUID();
          this.publish({
            version: '0',
            id,
            'detail-type': entry.DetailType,
            source: entry.Source,
            account,
            time: clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
            region,
            resources: entry.Resources ?? [],
            detail,
          } as unknown as S3Event);
          return { EventId: id };
        });
        send(200, { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries });
      }, () => res.destroy());
  }

  private record(delivery: DeliveryRecord): void {
    this.deliveries.push(delivery);
    if (this.deliveries.length > 1000) this.deliveries.shift();
  }
}
