/**
 * KMS for the local runtime: the declared signing keys (infra/system.ts `signingKeys`) and the
 * three operations Strata calls — Sign, Verify and GetPublicKey — as the KMS JSON 1.1 API
 * answers them, so handlers use the real @aws-sdk/client-kms. No maintained KMS emulator is
 * published on npm (local-kms is a Go binary, LocalStack needs Docker), hence this file.
 *
 * Each key is an ECC_NIST_P256 key pair created at first start and kept in the data directory
 * (`kms/<logical>.json`, mode 0600), so signatures stay verifiable across restarts.
 * Differences from AWS: only MessageType RAW (≤ 4096 bytes; DIGEST would need signing a given
 * hash, which node:crypto does not offer for ECDSA); no aliases, grants, key policies or rotation.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { SigningKeyDeclaration } from '#infra/system-types.ts';
import { readAll } from './read-body.ts';

const MAX_RAW_MESSAGE = 4096;

interface LocalKey {
  arn: string;
  declaration: SigningKeyDeclaration;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export class LocalKms {
  private readonly keys = new Map<string, LocalKey>();
  /** Calls answered per operation (benchmarks report them: KMS bills per request). */
  readonly calls: Record<string, number> = {};

  constructor(declarations: Readonly<Record<string, SigningKeyDeclaration>>, dataDir: string, region: string, account: string) {
    const dir = join(dataDir, 'kms');
    mkdirSync(dir, { recursive: true });
    for (const [logical, declaration] of Object.entries(declarations)) {
      const privateKey = loadOrCreate(join(dir, `${logical}.json`));
      // A stable key id per logical name, shaped like KMS's (a UUID).
      const hex = createHash('sha256').update(`strata-local-kms/${logical}`).digest('hex');
      const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
      const arn = `arn:aws:kms:${region}:${account}:key/${keyId}`;
      this.keys.set(logical, { arn, declaration, privateKey, publicKey: createPublicKey(privateKey) });
    }
  }

  /** The ARN of a declared key (what `key:<logical>` grants put in a function's environment). */
  arnOf(logical: string): string {
    const key = this.keys.get(logical);
    if (!key) throw new Error(`no signing key "${logical}" is declared`);
    return key.arn;
  }

  /** The KMS JSON API (X-Amz-Target: TrentService.<Operation>). */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void =>
    void readAll(req).then((body) => {
      const send = (status: number, answer: unknown) => res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer));
      try {
        const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
        let request: Record<string, unknown>;
        try {
          request = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
        } catch {
          throw new KmsError('SerializationException', 'the body is not JSON');
        }
        send(200, this.answer(operation, request));
      } catch (error) {
        if (error instanceof KmsError) send(400, { __type: error.type, message: error.message });
        else send(500, { __type: 'KMSInternalException', message: (error as Error).message });
      }
    }, () => res.destroy());

  private answer(operation: string, request: Record<string, unknown>): unknown {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1;
    const key = this.keyOf(request.KeyId);
    switch (operation) {
      case 'GetPublicKey':
        return {
          KeyId: key.arn,
          PublicKey: key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
          KeySpec: key.declaration.spec,
          KeyUsage: 'SIGN_VERIFY',
          SigningAlgorithms: [key.declaration.algorithm],
        };
      case 'Sign': {
        const message = this.messageOf(key, request);
        return { KeyId: key.arn, Signature: sign('sha256', message, key.privateKey).toString('base64'), SigningAlgorithm: key.declaration.algorithm };
      }
      case 'Verify': {
        const message = this.messageOf(key, request);
        const signature = Buffer.from(String(request.Signature ?? ''), 'base64');
        if (!verify('sha256', message, key.publicKey, signature)) throw new KmsError('KMSInvalidSignatureException', 'the signature does not verify');
        return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: key.declaration.algorithm };
      }
      default:
        throw new KmsError('UnsupportedOperationException', `${operation} is not offered by the local KMS (Sign, Verify, GetPublicKey)`);
    }
  }

  private keyOf(keyId: unknown): LocalKey {
    const id = String(keyId ?? '');
    for (const key of this.keys.values()) if (key.arn === id || key.arn.endsWith(`:key/${id}`)) return key;
    throw new KmsError('NotFoundException', `Key '${id}' does not exist`);
  }

  private messageOf(key: LocalKey, request: Record<string, unknown>): Buffer {
    if (request.SigningAlgorithm !== key.declaration.algorithm) {
      throw new KmsError('InvalidKeyUsageException', `the key's signing algorithm is ${key.declaration.algorithm}, not ${String(request.SigningAlgorithm)}`);
    }
    if ((request.MessageType ?? 'RAW') !== 'RAW') throw new KmsError('UnsupportedOperationException', 'the local KMS signs and verifies MessageType RAW only');
    const message = Buffer.from(String(request.Message ?? ''), 'base64');
    if (message.length < 1 || message.length > MAX_RAW_MESSAGE) throw new KmsError('ValidationException', `Message must be 1 to ${MAX_RAW_MESSAGE} bytes`);
    return message;
  }
}

function loadOrCreate(file: string): KeyObject {
  try {
    return createPrivateKey((JSON.parse(readFileSync(file, 'utf8')) as { privateKeyPem: string }).privateKeyPem);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  try {
    writeFileSync(file, JSON.stringify({ spec: 'ECC_NIST_P256', privateKeyPem }), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    // Another runtime on this data directory created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return createPrivateKey((JSON.parse(readFileSync(file, 'utf8')) as { privateKeyPem: string }).privateKeyPem);
    throw error;
  }
  return privateKey;
}
