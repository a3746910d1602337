/**
 * The local KMS (infra/local/kms.ts) through the real @aws-sdk/client-kms, behind the local IAM
 * guard: Sign, Verify and GetPublicKey as KMS answers them, signatures node:crypto verifies with
 * the public key alone, the key kept across restarts, and calls outside a function's grants refused.
 */
import { createPublicKey, verify } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand, VerifyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIam } from '#infra/local/iam/local-iam.ts';
import { accessKeyIdOf } from '#infra/local/iam/principals.ts';
import { LocalKms } from '#infra/local/kms.ts';
import type { FunctionDeclaration } from '#infra/system-types.ts';

const KEYS = { exportSigning: { description: 'test', spec: 'ECC_NIST_P256', algorithm: 'ECDSA_SHA_256' } } as const;
const where = { region: 'us-east-1', account: '000000000000' };
const fn = (grants: FunctionDeclaration['grants']): FunctionDeclaration => ({ entry: 'x.ts', description: 'test', grants });

describe('The local KMS', () => {
  let dataDir: string;
  let kms: LocalKms;
  let server: Server;
  let endpoint: string;
  const client = (accessKeyId = 'S3RVER') => new KMSClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId, secretAccessKey: 'S3RVER' } });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strata-kms-'));
    kms = new LocalKms(KEYS, dataDir, where.region, where.account);
    const functions = { signer: fn([{ resource: 'key:exportSigning', actions: ['kms:Sign'] }]), reader: fn([{ resource: 'table:index', actions: ['dynamodb:GetItem'] }]) };
    const iam = localIam(functions, { table: (l) => l, bucket: (l) => l, stateMachineArn: (l) => l, signingKeyArn: (l) => kms.arnOf(l) }, where, {});
    server = createServer(iam.kms(kms.listener));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const message = Buffer.from('{"export":"e1"}\n');

  it('signs a RAW message with ECDSA_SHA_256 so that node:crypto verifies it with the public key alone', async () => {
    const KeyId = kms.arnOf('exportSigning');
    const signed = await client().send(new SignCommand({ KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(signed.KeyId).toBe(KeyId);
    const key = await client().send(new GetPublicKeyCommand({ KeyId }));
    expect([key.KeySpec, key.KeyUsage, key.SigningAlgorithms]).toEqual(['ECC_NIST_P256', 'SIGN_VERIFY', ['ECDSA_SHA_256']]);
    const publicKey = createPublicKey({ key: Buffer.from(key.PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', message, publicKey, signed.Signature!)).toBe(true);
    expect(verify('sha256', Buffer.from('{"export":"e2"}\n'), publicKey, signed.Signature!)).toBe(false);
  });

  it('verifies its own signatures and refuses a wrong one with KMSInvalidSignatureException', async () => {
    const KeyId = kms.arnOf('exportSigning');
    const { Signature } = await client().send(new SignCommand({ KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    const ok = await client().send(new VerifyCommand({ KeyId, Message: message, MessageType: 'RAW', Signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(ok.SignatureValid).toBe(true);
    const refused = client().send(new VerifyCommand({ KeyId, Message: Buffer.from('other'), MessageType: 'RAW', Signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
    await expect(refused).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
  });

  it('answers an unknown key, a DIGEST message, an oversized message and another algorithm as errors', async () => {
    const KeyId = kms.arnOf('exportSigning');
    await expect(client().send(new GetPublicKeyCommand({ KeyId: 'arn:aws:kms:us-east-1:000000000000:key/nope' }))).rejects.toMatchObject({ name: 'NotFoundException' });
    await expect(client().send(new SignCommand({ KeyId, Message: Buffer.alloc(32), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' }))).rejects.toMatchObject({ name: 'UnsupportedOperationException' });
    await expect(client().send(new SignCommand({ KeyId, Message: Buffer.alloc(4097), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client().send(new SignCommand({ KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_384' }))).rejects.toMatchObject({ name: 'InvalidKeyUsageException' });
  });

  it('lets a function call only what its grants allow on the key', async () => {
    const KeyId = kms.arnOf('exportSigning');
    const signed = await client(accessKeyIdOf('signer')).send(new SignCommand({ KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    expect(signed.Signature?.length).toBeGreaterThan(0);
    await expect(client(accessKeyIdOf('signer')).send(new GetPublicKeyCommand({ KeyId }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    await expect(client(accessKeyIdOf('reader')).send(new SignCommand({ KeyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('keeps the key in the data directory (owner-only), so a restart signs with the same key', async () => {
    const file = join(dataDir, 'kms', 'exportSigning.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = readFileSync(file, 'utf8');
    const again = new LocalKms(KEYS, dataDir, where.region, where.account);
    expect(again.arnOf('exportSigning')).toBe(kms.arnOf('exportSigning'));
    expect(readFileSync(file, 'utf8')).toBe(stored); // read back, not replaced
    const elsewhere = mkdtempSync(join(tmpdir(), 'strata-kms-other-'));
    new LocalKms(KEYS, elsewhere, where.region, where.account);
    expect(readFileSync(join(elsewhere, 'kms', 'exportSigning.json'), 'utf8')).not.toBe(stored); // each data directory its own key
    rmSync(elsewhere, { recursive: true, force: true });
  });
});
