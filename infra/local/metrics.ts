/**
 * CloudWatch metrics and alarms, locally. In AWS, CloudWatch Logs extracts Embedded Metric
 * Format lines from a function's log group (lambdas/adapters/metrics.ts writes them to stdout)
 * and the alarms declared with the workflows (infra/system.ts) compare each datapoint with their
 * threshold. Here the functions run in this process, so their stdout is this process's: the
 * sink reads the lines written while the runtime runs, keeps their datapoints (in memory and in
 * `metrics/datapoints.jsonl` of the data directory) and sets each declared alarm from the latest
 * datapoint of its metric. *Differences*: no periods or statistics (an alarm follows the latest
 * datapoint), no alarm actions; every runtime started in one process sees every line.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { datapointsOfLogLine, type Datapoint } from '#core/metrics/embedded-metrics.ts';
import type { AlarmDeclaration, StateMachineDeclaration } from '#infra/system-types.ts';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export class LocalMetrics {
  private readonly points: Datapoint[] = [];
  private readonly alarms: Map<string, AlarmDeclaration & { state: AlarmState }>;
  private readonly file: string;
  private readonly original = process.stdout.write;
  private partial = '';
  private active = true;
  private readonly tap: typeof process.stdout.write;

  constructor(dataDir: string, stateMachines: Readonly<Record<string, StateMachineDeclaration>>) {
    mkdirSync(join(dataDir, 'metrics'), { recursive: true });
    this.file = join(dataDir, 'metrics', 'datapoints.jsonl');
    this.alarms = new Map(
      Object.values(stateMachines).flatMap((machine) => Object.entries(machine.alarms ?? {}).map(([name, alarm]) => [name, { ...alarm, state: 'INSUFFICIENT_DATA' as AlarmState }])),
    );
    const original = this.original;
    const read = (chunk: unknown) => this.active && this.read(chunk);
    // The tap passes everything on unchanged: it only reads what goes by.
    this.tap = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      read(chunk);
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stdout.write;
    process.stdout.write = this.tap;
  }

  /** The datapoints of one metric, oldest first. */
  datapoints(namespace: string, name: string): Datapoint[] {
    return this.points.filter((point) => point.namespace === namespace && point.name === name);
  }

  alarmState(name: string): AlarmState {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new Error(`no alarm "${name}" is declared`);
    return alarm.state;
  }

  /** Stops reading; the tap leaves stdout unless a later runtime's tap sits on top of it (that one passes through it). */
  stop(): void {
    this.active = false;
    if (process.stdout.write === this.tap) process.stdout.write = this.original;
  }

  private read(chunk: unknown): void {
    const text = typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : '';
    if (!text) return;
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!.slice(-1_000_000);
    for (const line of lines) for (const point of datapointsOfLogLine(line)) this.record(point);
  }

  private record(point: Datapoint): void {
    this.points.push(point);
    appendFileSync(this.file, `${JSON.stringify(point)}\n`);
    for (const alarm of this.alarms.values()) {
      if (alarm.namespace === point.namespace && alarm.metric === point.name) alarm.state = point.value > alarm.threshold ? 'ALARM' : 'OK';
    }
  }
}
