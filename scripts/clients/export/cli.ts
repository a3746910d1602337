/**
 * `npm run export -- --hold <id> | --query '<qido>' [--matter M] [--out DIR]`: starts a discovery
 * export, follows its progress (a bar on a terminal, a line per change otherwise), downloads the
 * package when it is complete and checks it locally (verify-package.ts) against the archive's
 * signing key. `npm run export -- verify DIR` checks a package already downloaded. Exit 0 only
 * for a complete, verified package.
 */
import { createPublicKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyPackage, type PackageCheck, type TrustedKey } from './verify-package.ts';

const HELP = `usage: npm run export -- (--hold HOLD_ID | --query 'PatientID=…') [options]
       npm run export -- verify DIR [--public-key FILE.pem] [--url URL --token TOKEN]

Starts a discovery export (POST /exports), shows its progress, downloads the package and verifies
its signature (with the archive's signing key, GET /exports/signing-key) and every file's SHA-256.

verify DIR checks a downloaded package again: every file re-hashed against the manifest, files in
DIR the manifest does not list and files it lists that are missing, the manifests against the
signed summary, and the signature against a key from outside the package: --public-key (a PEM
file you obtained yourself, e.g. aws kms get-public-key), and/or the archive's (--url and --token,
or $STRATA_URL and $STRATA_TOKEN), whose key id the summary must name. At least one is required.

  --hold ID          export the studies of a legal hold
  --query QIDO       export the studies a QIDO study query matches (e.g. 'PatientID=P1&StudyDate=2020-2024')
  --matter TEXT      the matter the production is for (a hold's own by default)
  --out DIR          where the package goes (default ./export-<id>)
  --url URL          the archive's API root (default $STRATA_URL, else http://127.0.0.1:$PORT, PORT 8080 by default)
  --token TOKEN      access token with scope legal.hold (default $STRATA_TOKEN); locally:
                     export STRATA_TOKEN=$(npm run -s token -- --tenant demo --scopes legal.hold | tail -1)
  --poll SECONDS     how often to ask for progress (default 2)
  --public-key FILE  also check the signature with this PEM public key (SubjectPublicKeyInfo)

An export waiting for archived instances to be restored can take hours (DEEP_ARCHIVE: up to 48);
the command keeps polling. Locally, move time with npm run clock -- +13h.`;

interface ExportView {
  id: string;
  status: string;
  error?: string;
  progress: { instances: number; bytes: number; copied: number; bytesCopied: number; waitingForRestore: number; mismatches: number };
  download?: { documents: Record<string, string>; files: string };
}

export interface Io {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
}

type Api = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** The archive's API with a bearer token; a refused request throws with its status and message. */
function archiveApi(base: string, token: string): Api {
  const auth = { authorization: `Bearer ${token}` };
  return async (method, path, body) => {
    const response = await fetch(`${base}${path}`, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${String(json.message ?? response.statusText)}`);
    return json;
  };
}

/** The signing key as the archive reports it (KMS GetPublicKey behind GET /exports/signing-key). */
async function archiveKey(api: Api, base: string): Promise<TrustedKey> {
  const answer = await api('GET', '/exports/signing-key');
  if (typeof answer.publicKeyPem !== 'string' || typeof answer.keyId !== 'string') throw new Error(`GET /exports/signing-key: no key in the answer of ${base}`);
  return { source: `the archive (${base}, key ${answer.keyId})`, key: createPublicKey(answer.publicKeyPem), keyId: answer.keyId };
}

async function operatorKey(file: string): Promise<TrustedKey> {
  try {
    return { source: `--public-key ${file}`, key: createPublicKey(await readFile(file, 'utf8')) };
  } catch (error) {
    throw new Error(`--public-key ${file}: not a readable PEM public key (${(error as Error).message})`);
  }
}

const OPTIONS = {
  hold: { type: 'string' },
  query: { type: 'string' },
  matter: { type: 'string' },
  out: { type: 'string' },
  url: { type: 'string' },
  token: { type: 'string' },
  poll: { type: 'string' },
  'public-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function main(argv: string[], io: Io = { out: process.stdout, err: process.stderr }): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true }));
  } catch (error) {
    io.err.write(`${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    io.out.write(`${HELP}\n`);
    return 0;
  }
  if (positionals[0] === 'verify') return verifyCommand(positionals.slice(1), values, io);
  if (positionals.length) {
    io.err.write(`unexpected argument ${positionals[0]}\n\n${HELP}\n`);
    return 2;
  }
  if ((values.hold === undefined) === (values.query === undefined)) {
    io.err.write(`name exactly one of --hold or --query\n\n${HELP}\n`);
    return 2;
  }
  const base = String(values.url ?? process.env.STRATA_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`).replace(/\/$/, '');
  const token = (values.token as string | undefined) ?? process.env.STRATA_TOKEN;
  if (!token) {
    io.err.write(`no access token: pass --token or set STRATA_TOKEN\n\n${HELP}\n`);
    return 2;
  }
  const pollMs = Math.max(0.05, Number(values.poll ?? 2)) * 1000;
  const api = archiveApi(base, token);

  try {
    // The keys the package must verify with, before anything is downloaded that could claim another.
    const trusted = [await archiveKey(api, base), ...(values['public-key'] ? [await operatorKey(String(values['public-key']))] : [])];
    const request = { ...(values.hold ? { hold: values.hold } : { query: values.query }), ...(values.matter ? { matter: values.matter } : {}) };
    const started = (await api('POST', '/exports', request)) as unknown as ExportView;
    io.err.write(`export ${started.id} started\n`);
    const progress = progressLine(io.err);
    let view = started;
    while (view.status !== 'COMPLETED' && view.status !== 'FAILED') {
      await new Promise((r) => setTimeout(r, pollMs));
      view = (await api('GET', `/exports/${started.id}`)) as unknown as ExportView;
      progress.show(view);
    }
    progress.end();
    if (view.status === 'FAILED') {
      io.err.write(`export ${view.id} failed: ${view.error ?? 'unknown'}\n`);
      return 1;
    }
    const dir = resolve(String(values.out ?? `export-${view.id}`));
    const downloaded = await download(view, dir, api);
    io.err.write(`downloaded ${downloaded} files into ${dir}\n`);
    return report(await verifyPackage(dir, trusted), trusted, dir, io);
  } catch (error) {
    io.err.write(`${(error as Error).message}\n`);
    return 1;
  }
}

/** `verify DIR`: a downloaded package checked again, against a key from outside it. */
async function verifyCommand(args: string[], values: Record<string, string | boolean | undefined>, io: Io): Promise<number> {
  if (args.length !== 1) {
    io.err.write(`verify takes one folder (the downloaded package)\n\n${HELP}\n`);
    return 2;
  }
  const url = (values.url as string | undefined) ?? process.env.STRATA_URL;
  const token = (values.token as string | undefined) ?? process.env.STRATA_TOKEN;
  if (!values['public-key'] && !(url && token)) {
    io.err.write(`no trusted key: pass --public-key FILE.pem, or --url and --token (or STRATA_URL and STRATA_TOKEN) to ask the archive; ` +
      `the package's own public-key.pem proves nothing (whoever re-signs a package replaces it)\n\n${HELP}\n`);
    return 2;
  }
  try {
    const trusted: TrustedKey[] = [];
    if (url && token) trusted.push(await archiveKey(archiveApi(url.replace(/\/$/, ''), token), url));
    if (values['public-key']) trusted.push(await operatorKey(String(values['public-key'])));
    return report(await verifyPackage(resolve(args[0]!), trusted), trusted, resolve(args[0]!), io);
  } catch (error) {
    io.err.write(`${(error as Error).message}\n`);
    return 1;
  }
}

function report(check: PackageCheck, trusted: readonly TrustedKey[], dir: string, io: Io): number {
  for (const key of trusted) io.err.write(`checked against the key from ${key.source}\n`);
  if (check.holdReleasedAt) io.err.write(`NOTE: the exported hold was released at ${check.holdReleasedAt}, before the package was finished\n`);
  for (const problem of check.problems) io.err.write(`  ${problem}\n`);
  io.out.write(
    `${check.ok ? 'VERIFIED' : 'NOT VERIFIED'}: signature ${check.signatureValid ? 'valid' : 'INVALID'}, manifests ${check.manifestsValid ? 'match' : 'DIFFER'}, ` +
      `${check.filesMatching}/${check.files} files match their SHA-256${check.ok ? '' : `, ${check.problems.length} problem(s)`} (${dir})\n`,
  );
  return check.ok ? 0 : 1;
}

/** The package's documents, then every file page by page, each from its presigned URL. */
async function download(view: ExportView, dir: string, api: (method: string, path: string) => Promise<Record<string, unknown>>): Promise<number> {
  const names: Record<string, string> = { manifestCsv: 'manifest.csv', manifestJson: 'manifest.json', summary: 'summary.json', signature: 'summary.json.sig', publicKey: 'public-key.pem' };
  const save = async (url: string, path: string) => {
    if (path.includes('..') || path.startsWith('/')) throw new Error(`refusing a path outside the package: ${path}`);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`download of ${path}: ${response.status}`);
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, Buffer.from(await response.arrayBuffer()));
  };
  for (const [name, url] of Object.entries(view.download?.documents ?? {})) await save(url, names[name] ?? name);
  let count = 0;
  let after: string | undefined;
  do {
    const page = (await api('GET', `/exports/${view.id}/files${after ? `?after=${encodeURIComponent(after)}` : ''}`)) as { files: { path: string; url: string }[]; next?: string };
    for (const file of page.files) await save(file.url, file.path);
    count += page.files.length;
    after = page.next;
  } while (after);
  return count;
}

/** A redrawn bar on a terminal; elsewhere one line whenever the progress changes. */
function progressLine(stream: NodeJS.WriteStream) {
  let last = '';
  return {
    show(view: ExportView) {
      const p = view.progress;
      const fraction = p.instances ? p.copied / p.instances : 0;
      const text = `${view.status.toLowerCase().replace(/_/g, ' ')}: ${p.copied}/${p.instances} instances, ${(p.bytesCopied / 1e6).toFixed(1)}/${(p.bytes / 1e6).toFixed(1)} MB` +
        (p.waitingForRestore ? `, ${p.waitingForRestore} waiting for restore` : '') + (p.mismatches ? `, ${p.mismatches} MISMATCHED` : '');
      if (stream.isTTY) {
        const width = 24;
        const filled = Math.round(fraction * width);
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`.slice(0, (stream.columns ?? 120) - 1) + '\x1b[K');
      } else if (text !== last) {
        stream.write(`${text}\n`);
      }
      last = text;
    },
    end() {
      if (stream.isTTY && last) stream.write('\n');
    },
  };
}
