/**
 * `npx tsx scripts/cpu-profile-summary.ts FILE.cpuprofile [--top N] [--skip SECONDS]`: the functions and the
 * packages (or project folders) that took the most CPU in a V8 profile written by
 * `node --cpu-prof`, by self time. docs/local-performance.md keeps such summaries before and
 * after each change to the local runtime.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame's code lives: a package, a project folder, Node's own code, or V8's (GC, idle…). */
export function placeOf(url: string): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url;
  const project = /\/(infra\/local\/s3|infra\/local|lambdas\/[^/]+|scripts)\//.exec(url);
  return project ? project[1]! : url.replace(/^file:\/\//, '');
}

/** `skipSeconds`: leave out the start (the runtime's own start-up) and keep the load being measured. */
export function summarize(profile: Profile, top: number, skipSeconds = 0): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  // Each sample is charged the time until the next one.
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= skipSeconds * 1e6) selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, micros] of selfMicros) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = `${functionName || '(anonymous)'} ${placeOf(url)}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    places.set(placeOf(url), (places.get(placeOf(url)) ?? 0) + micros);
  }
  const busy = total - (functions.get('(idle) (native)') ?? 0);
  const rows = (map: Map<string, number>) =>
    [...map]
      .filter(([name]) => !name.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => `${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${(micros / 1e6).toFixed(2).padStart(7)} s  ${name}`);
  return [
    `wall ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)} % of the main thread)`,
    'by place (self time, % of busy):',
    ...rows(places),
    'by function:',
    ...rows(functions),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, ...rest] = process.argv.slice(2);
  if (!file || file === '--help') {
    console.log('usage: npx tsx scripts/cpu-profile-summary.ts FILE.cpuprofile [--top N] [--skip SECONDS]');
    process.exit(file ? 0 : 1);
  }
  const option = (name: string, fallback: number) => (rest.includes(name) ? Number(rest[rest.indexOf(name) + 1]) : fallback);
  console.log(summarize(JSON.parse(readFileSync(file, 'utf8')) as Profile, option('--top', 15), option('--skip', 0)));
}
