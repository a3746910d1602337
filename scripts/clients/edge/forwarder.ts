/**
 * Drains the spool into the archive with the push engine: takes the queued instances (oldest
 * first), pushes them (resume check, routing by size, retries), and removes each from the queue
 * only once the archive holds it — stored now or already present (a crash after the archive
 * stored it but before the spool forgot it re-checks, finds it present, and sends nothing). A
 * refused instance is set aside with its reason. When the archive cannot be reached the queue
 * stays as it is, and the forwarder waits longer each time (up to a minute) before trying again.
 */
import { pushFiles, type FileReport, type PushOptions } from '#clients/push/engine.ts';
import { scan } from '#clients/push/scan.ts';
import type { Spool } from './spool.ts';

export interface ForwarderStatus {
  queueDepth: number;
  received: number;
  forwarded: number;
  alreadyPresent: number;
  refused: number;
  lastError: string | undefined;
  lastErrorAt: string | undefined;
  lastForwardedAt: string | undefined;
}

const BATCH = 500;
const MAX_IDLE_MS = 60_000;

export class Forwarder {
  readonly status: ForwarderStatus = { queueDepth: 0, received: 0, forwarded: 0, alreadyPresent: 0, refused: 0, lastError: undefined, lastErrorAt: undefined, lastForwardedAt: undefined };
  private stopped = false;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly spool: Spool,
    private readonly push: Omit<PushOptions, 'onFile' | 'log'>,
    private readonly log: (line: string) => void,
    private readonly pauseMs = 1000,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  /** A new instance is in the queue: forward now rather than at the next poll. */
  notify(): void {
    this.status.received++;
    // At once for whoever asks next, then as the spool counts it: a count the loop read a moment
    // ago may already include this instance, and the increment alone would count it twice.
    this.status.queueDepth++;
    void this.refreshDepth().catch(() => {});
    this.wake?.();
  }

  private depthReads = 0;
  /** The queue's depth as the spool counts it; of reads that overlap, the one started last wins. */
  private async refreshDepth(): Promise<void> {
    const read = ++this.depthReads;
    const depth = await this.spool.depth();
    if (read === this.depthReads) this.status.queueDepth = depth;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    let delay = this.pauseMs;
    while (!this.stopped) {
      const queued = await this.spool.queued(BATCH);
      await this.refreshDepth();
      let progressed = false;
      if (queued.length) {
        const unsent = await this.forward(queued);
        progressed = unsent < queued.length;
        await this.refreshDepth();
        if (!unsent && this.status.queueDepth) continue; // more waiting: no pause
      }
      delay = progressed || !queued.length ? this.pauseMs : Math.min(delay * 2, MAX_IDLE_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Pushes a batch; the number of instances still queued because they could not be sent. */
  private async forward(paths: string[]): Promise<number> {
    const scanned = await scan(paths);
    const settled: Promise<void>[] = [];
    let unsent = 0;
    const onFile = (report: FileReport) => {
      settled.push(this.settle(report).catch((error: Error) => this.error(`spool: ${error.message}`)));
      if (report.outcome === 'not-sent') unsent++;
    };
    // A spooled file with no DICOM header cannot be sent by anyone: set aside as refused.
    for (const skipped of scanned.skipped) settled.push(this.spool.refuse(skipped.path, skipped.reason).then(() => void this.status.refused++));
    await pushFiles(scanned, { ...this.push, onFile, log: (line) => (line.startsWith('refused ') ? undefined : this.error(line)) });
    await Promise.all(settled);
    const { forwarded, alreadyPresent, refused, queueDepth } = this.status;
    this.log(`edge: forwarded ${forwarded}, already present ${alreadyPresent}, refused ${refused}, queue ${queueDepth}${unsent ? `, ${unsent} waiting for the archive (${this.status.lastError})` : ''}`);
    return unsent;
  }

  private async settle(report: FileReport): Promise<void> {
    switch (report.outcome) {
      case 'stored':
      case 'present':
        await this.spool.forwarded(report.path);
        if (report.outcome === 'stored') this.status.forwarded++;
        else this.status.alreadyPresent++;
        this.status.lastForwardedAt = new Date().toISOString();
        return;
      case 'refused':
        await this.spool.refuse(report.path, `${report.code === undefined ? '' : `0x${report.code.toString(16).toUpperCase()} `}${report.reason ?? ''}`);
        this.status.refused++;
        this.log(`edge: the archive refused ${report.sop ?? report.path}: ${report.reason}`);
        return;
      case 'not-sent':
        this.error(report.reason ?? 'not sent');
    }
  }

  private error(message: string): void {
    this.status.lastError = message;
    this.status.lastErrorAt = new Date().toISOString();
  }
}
