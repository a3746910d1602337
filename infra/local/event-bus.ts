/**
 * The local EventBridge: matches events against the declared rules (source `aws.s3`, the
 * rule's detail types, the rule's bucket) and invokes the target function asynchronously,
 * retrying a failed delivery twice as Lambda does for asynchronous invocations.
 */
import type { EventRuleDeclaration } from '#infra/system-types.ts';
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
        this.physicalBucket(rule.bucket) === event.detail.bucket.name,
    );
  }

  publish(event: S3Event): void {
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

  private record(delivery: DeliveryRecord): void {
    this.deliveries.push(delivery);
    if (this.deliveries.length > 1000) this.deliveries.shift();
  }
}
