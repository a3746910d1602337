/**
 * Checks a downloaded discovery export package on its own (docs/exports.md), with node:crypto and
 * nothing of AWS: summary.json's signature against public-key.pem (and, when given, against a
 * key obtained independently), both manifests' SHA-256 against the summary, and every file's
 * SHA-256 and size against the manifest, whose rows must also match the SHA-256 recorded at ingest.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PackageCheck {
  signatureValid: boolean;
  manifestsValid: boolean;
  files: number;
  /** Files whose bytes differ from the manifest, or whose manifest row differs from the ingest record. */
  problems: string[];
  ok: boolean;
}

interface Summary {
  manifests: Record<string, { sha256: string; bytes: number }>;
  signature: { file: string; publicKey: string };
}

interface ManifestFile {
  path: string;
  size: number;
  sha256AtIngest: string;
  sha256AtExport: string;
}

async function sha256OfFile(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export async function verifyPackage(dir: string, trustedKey?: KeyObject): Promise<PackageCheck> {
  const summaryBytes = await readFile(join(dir, 'summary.json'));
  const summary = JSON.parse(summaryBytes.toString('utf8')) as Summary;
  const signature = await readFile(join(dir, summary.signature.file));
  const packaged = createPublicKey(await readFile(join(dir, summary.signature.publicKey), 'utf8'));
  const signatureValid = verify('sha256', summaryBytes, packaged, signature) && (trustedKey === undefined || verify('sha256', summaryBytes, trustedKey, signature));
  const problems: string[] = [];
  let manifestsValid = true;
  for (const [name, expected] of Object.entries(summary.manifests)) {
    const actual = await sha256OfFile(join(dir, name));
    if (actual.sha256 !== expected.sha256 || actual.size !== expected.bytes) {
      manifestsValid = false;
      problems.push(`${name}: does not match the signed summary`);
    }
  }
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { files: ManifestFile[] };
  for (const file of manifest.files) {
    if (file.path.includes('..') || file.path.startsWith('/')) {
      problems.push(`${file.path}: not a path inside the package`);
      continue;
    }
    if (file.sha256AtExport !== file.sha256AtIngest) problems.push(`${file.path}: exported bytes differ from the ingest record`);
    const actual = await sha256OfFile(join(dir, file.path)).catch(() => undefined);
    if (!actual) problems.push(`${file.path}: missing`);
    else if (actual.sha256 !== file.sha256AtExport || actual.size !== file.size) problems.push(`${file.path}: SHA-256 or size differs from the manifest`);
  }
  return { signatureValid, manifestsValid, files: manifest.files.length, problems, ok: signatureValid && manifestsValid && problems.length === 0 };
}
