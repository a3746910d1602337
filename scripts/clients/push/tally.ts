/**
 * The account of a push: what was stored, already present, stored with warnings, refused (with
 * reasons), skipped and not sent — warnings and refusals grouped by what they say, so a
 * thousand instances with the same warning make one line, not a thousand.
 */
export interface Group {
  count: number;
  /** A few of the files concerned (the report file has them all). */
  examples: string[];
}

const EXAMPLES = 3;
/** Presigned uploads listed in the summary; the --report file names every one. */
const UPLOADS_LISTED = 20;

export class Tally {
  files = 0;
  bytes = 0;
  doneFiles = 0;
  doneBytes = 0;
  stored = 0;
  present = 0;
  storedWithWarnings = 0;
  readonly warnings = new Map<string, Group>();
  readonly refused = new Map<string, Group>();
  readonly skipped = new Map<string, Group>();
  readonly notSent = new Map<string, Group>();
  /** Files that went through a presigned upload, with its id: the archive's report is GET /dicom-web/uploads/{id}. */
  readonly uploads: { id: string; path: string; outcome: string }[] = [];

  static add(groups: Map<string, Group>, key: string, path: string): void {
    const group = groups.get(key) ?? { count: 0, examples: [] };
    group.count++;
    if (group.examples.length < EXAMPLES && !group.examples.includes(path)) group.examples.push(path);
    groups.set(key, group);
  }

  get refusedCount(): number {
    return sum(this.refused);
  }

  get notSentCount(): number {
    return sum(this.notSent);
  }

  get skippedCount(): number {
    return sum(this.skipped);
  }
}

const sum = (groups: Map<string, Group>) => [...groups.values()].reduce((total, group) => total + group.count, 0);

/** A warning or refusal text without the UIDs and numbers that differ from one instance to the next. */
export function groupKey(text: string): string {
  return text.replace(/\b\d+(?:\.\d+){2,}\b/g, '<uid>').replace(/"[^"]*"/g, '"…"').slice(0, 200);
}

/** The summary table printed at the end of a push. */
export function summaryTable(tally: Tally, seconds: number): string {
  const lines: string[] = [];
  const row = (label: string, count: number, detail = '') => lines.push(`${label.padEnd(26)}${String(count).padStart(8)}${detail ? `  ${detail}` : ''}`);
  lines.push('', `${'outcome'.padEnd(26)}${'files'.padStart(8)}`, '-'.repeat(34));
  row('stored', tally.stored - tally.storedWithWarnings);
  row('stored with warnings', tally.storedWithWarnings);
  row('already present', tally.present);
  row('refused', tally.refusedCount);
  row('not sent (no answer)', tally.notSentCount);
  row('skipped (not DICOM)', tally.skippedCount);
  lines.push('-'.repeat(34));
  const mb = tally.doneBytes / 1e6;
  lines.push(`${tally.doneFiles} files, ${mb.toFixed(1)} MB in ${seconds.toFixed(1)} s (${(tally.doneFiles / Math.max(seconds, 1e-3)).toFixed(1)} files/s, ${(mb / Math.max(seconds, 1e-3)).toFixed(1)} MB/s)`);
  for (const [title, groups] of [
    ['warnings', tally.warnings],
    ['refused', tally.refused],
    ['not sent', tally.notSent],
    ['skipped', tally.skipped],
  ] as const) {
    if (!groups.size) continue;
    lines.push('', `${title}:`);
    for (const [key, group] of [...groups].sort((a, b) => b[1].count - a[1].count)) {
      lines.push(`  ${String(group.count).padStart(6)} × ${key}`, `           e.g. ${group.examples.join(', ')}`);
    }
  }
  if (tally.uploads.length) {
    lines.push('', 'presigned uploads (the archive\'s report: GET <url>/uploads/<id>):');
    for (const upload of tally.uploads.slice(0, UPLOADS_LISTED)) lines.push(`  ${upload.id}  ${upload.outcome.padEnd(8)}  ${upload.path}`);
    if (tally.uploads.length > UPLOADS_LISTED) lines.push(`  … and ${tally.uploads.length - UPLOADS_LISTED} more (each in --report)`);
  }
  return lines.join('\n');
}
