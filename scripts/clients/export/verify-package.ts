/**
 * Checks a downloaded discovery export package (docs/exports.md) with node:crypto and nothing of
 * AWS: summary.json's signature against keys obtained **outside the package** (the archive's
 * `GET /exports/signing-key`, an operator's PEM file), never against the package's own
 * public-key.pem alone, which anyone re-signing a package would replace; the summary's key id
 * against the archive's; both manifests' SHA-256 against the summary; every file's SHA-256 and
 * size against the manifest, whose rows must also match the SHA-256 recorded at ingest; and the
 * folder against the manifest: a file the manifest does not list, or one it lists that is not
 * there, is a problem.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** A key the package is checked against, and where it came from (for the report). */
export interface TrustedKey {
  source: string;
  key: KeyObject;
  /** The key id the archive names (KMS key ARN): the summary must name the same. */
  keyId?: string | undefined;
}

export interface PackageCheck {
  /** The summary's signature verifies with every trusted key (and there is at least one). */
  signatureValid: boolean;
  manifestsValid: boolean;
  /** Files the manifest lists, and how many of them are present with the manifest's SHA-256 and size. */
  files: number;
  filesMatching: number;
  /** Every problem found, one line each: the package is verified only when there is none. */
  problems: string[];
  /** When the exported hold was released before the package was finished (the signed summary says). */
  holdReleasedAt?: string | undefined;
  keyId?: string | undefined;
  ok: boolean;
}

interface Summary {
  manifests?: Record<string, { sha256: string; bytes: number }>;
  signature?: { file?: string; publicKey?: string; keyId?: string };
  holdReleasedAt?: string;
}

interface ManifestFile {
  path: string;
  size: number;
  sha256AtIngest: string;
  sha256AtExport: string;
}

/** The package's own documents: the only files in the folder the manifest does not list. */
const DOCUMENTS = ['summary.json', 'summary.json.sig', 'public-key.pem', 'manifest.csv', 'manifest.json'];

async function sha256OfFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Every file under `dir`, as a package path (`files/<study>/…`, forward slashes). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'));
}

const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
const readJson = async <T>(file: string): Promise<T | undefined> => {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
};

export async function verifyPackage(dir: string, trusted: readonly TrustedKey[]): Promise<PackageCheck> {
  const problems: string[] = [];
  const failed = (problem: string): PackageCheck => ({ signatureValid: false, manifestsValid: false, files: 0, filesMatching: 0, problems: [...problems, problem], ok: false });
  const summaryBytes = await readFile(join(dir, 'summary.json')).catch(() => undefined);
  if (!summaryBytes) return failed(`summary.json: missing from ${dir} (is this an export package?)`);
  let summary: Summary;
  try {
    summary = JSON.parse(summaryBytes.toString('utf8')) as Summary;
  } catch {
    return failed('summary.json: not JSON');
  }

  // The signature, against keys from outside the package only.
  const signature = await readFile(join(dir, summary.signature?.file ?? 'summary.json.sig')).catch(() => undefined);
  let signatureValid = trusted.length > 0 && signature !== undefined;
  if (!signature) problems.push('summary.json.sig: missing');
  if (!trusted.length) problems.push('no trusted key: the signature was not checked (pass --public-key FILE.pem, or --url and --token to ask the archive)');
  const packaged = await readFile(join(dir, summary.signature?.publicKey ?? 'public-key.pem'), 'utf8').then(
    (pem) => createPublicKey(pem),
    () => undefined,
  );
  for (const { source, key, keyId } of trusted) {
    if (keyId !== undefined && summary.signature?.keyId !== keyId) {
      signatureValid = false;
      problems.push(`summary.json: signed with key ${summary.signature?.keyId ?? '(none named)'}, not the archive's ${keyId}`);
    }
    if (signature && !verify('sha256', summaryBytes, key, signature)) {
      signatureValid = false;
      problems.push(`summary.json.sig: does not verify with the key from ${source}`);
    }
    if (packaged && !spki(packaged).equals(spki(key))) problems.push(`public-key.pem: the package's key is not the one from ${source}`);
  }

  let manifestsValid = true;
  for (const [name, expected] of Object.entries(summary.manifests ?? {})) {
    const actual = await sha256OfFile(join(dir, name)).catch(() => undefined);
    if (actual?.sha256 !== expected.sha256 || actual.size !== expected.bytes) {
      manifestsValid = false;
      problems.push(`${name}: ${actual ? 'does not match the signed summary' : 'missing'}`);
    }
  }
  if (!summary.manifests?.['manifest.json']) {
    manifestsValid = false;
    problems.push('summary.json: names no manifest.json');
  }
  const manifest = await readJson<{ files?: ManifestFile[] }>(join(dir, 'manifest.json'));
  const files = manifest?.files ?? [];
  if (!manifest) problems.push('manifest.json: missing or not JSON');

  let filesMatching = 0;
  const listed = new Set<string>();
  for (const file of files) {
    if (file.path.includes('..') || file.path.startsWith('/')) {
      problems.push(`${file.path}: not a path inside the package`);
      continue;
    }
    listed.add(file.path);
    if (file.sha256AtExport !== file.sha256AtIngest) problems.push(`${file.path}: exported bytes differ from the ingest record`);
    const actual = await sha256OfFile(join(dir, file.path)).catch(() => undefined);
    if (!actual) problems.push(`${file.path}: in the manifest but missing from the folder`);
    else if (actual.sha256 !== file.sha256AtExport || actual.size !== file.size) problems.push(`${file.path}: SHA-256 or size differs from the manifest`);
    else if (file.sha256AtExport === file.sha256AtIngest) filesMatching += 1;
  }
  for (const path of await filesUnder(dir)) {
    if (!listed.has(path) && !DOCUMENTS.includes(path)) problems.push(`${path}: in the folder but not in the manifest`);
  }
  return {
    signatureValid,
    manifestsValid,
    files: files.length,
    filesMatching,
    problems,
    holdReleasedAt: summary.holdReleasedAt,
    keyId: summary.signature?.keyId,
    ok: problems.length === 0,
  };
}
