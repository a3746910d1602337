/**
 * Progress of a push: on a terminal, one line redrawn in place (files, bytes, rate, ETA);
 * otherwise (a log, a pipe) a plain line per finished request.
 */
import type { Tally } from './tally.ts';

export interface Progress {
  update(event: string): void;
  done(): void;
}

export function progressFor(stream: NodeJS.WriteStream, tally: Tally, started = Date.now()): Progress {
  if (stream.isTTY) return new TerminalProgress(stream, tally, started);
  return {
    update: (event) => stream.write(`${event} — ${counts(tally)}\n`),
    done: () => {},
  };
}

class TerminalProgress implements Progress {
  private last = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly tally: Tally,
    private readonly started: number,
  ) {}

  update(): void {
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.draw(now);
  }

  done(): void {
    this.draw(Date.now());
    this.stream.write('\n');
  }

  private draw(now: number): void {
    const { tally } = this;
    const fraction = tally.bytes ? tally.doneBytes / tally.bytes : tally.files ? tally.doneFiles / tally.files : 1;
    const width = 24;
    const filled = Math.round(fraction * width);
    const seconds = (now - this.started) / 1000;
    const rate = tally.doneBytes / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? (tally.bytes - tally.doneBytes) / rate : Infinity;
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${counts(tally)}  ${(rate / 1e6).toFixed(1)} MB/s  ETA ${duration(eta)}`;
    this.stream.write(`\r${line.slice(0, (this.stream.columns ?? 120) - 1)}\x1b[K`);
  }
}

export const counts = (tally: Tally) => `${tally.doneFiles}/${tally.files} files, ${(tally.doneBytes / 1e6).toFixed(1)}/${(tally.bytes / 1e6).toFixed(1)} MB`;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h ? `${h}:` : ''}${String(m).padStart(h ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
}
