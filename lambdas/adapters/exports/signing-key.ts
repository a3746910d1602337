/**
 * The export signing key (KMS, asymmetric, SIGN_VERIFY; docs/exports.md). The private key never
 * leaves KMS; the public key is published in each package so a signature can be checked offline
 * (node:crypto, openssl) without AWS. Locally the same client reaches infra/local/kms.ts.
 */
import { GetPublicKeyCommand, SignCommand } from '@aws-sdk/client-kms';
import { config } from '#lambdas/config.ts';
import { kmsClient } from '#adapters/aws-clients.ts';

export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';

/** Signs a message of at most 4096 bytes (MessageType RAW: KMS hashes it with SHA-256); the signature is DER. */
export async function signWithExportKey(message: Uint8Array): Promise<{ signature: Uint8Array; keyId: string; algorithm: string }> {
  const signed = await kmsClient().send(new SignCommand({ KeyId: config.exportSigningKeyArn(), Message: message, MessageType: 'RAW', SigningAlgorithm: SIGNING_ALGORITHM }));
  return { signature: signed.Signature!, keyId: signed.KeyId!, algorithm: signed.SigningAlgorithm ?? SIGNING_ALGORITHM };
}

/** The key's public half as PEM (SubjectPublicKeyInfo), as `openssl` and node:crypto read it. */
export async function exportKeyPublicPem(): Promise<string> {
  return (await exportSigningKey()).publicKeyPem;
}

/** The key as KMS reports it: its id (ARN), algorithm and public half (PEM). */
export async function exportSigningKey(): Promise<{ keyId: string; algorithm: string; publicKeyPem: string }> {
  const key = await kmsClient().send(new GetPublicKeyCommand({ KeyId: config.exportSigningKeyArn() }));
  const base64 = Buffer.from(key.PublicKey!).toString('base64');
  return {
    keyId: key.KeyId ?? config.exportSigningKeyArn(),
    algorithm: key.SigningAlgorithms?.[0] ?? SIGNING_ALGORITHM,
    publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`,
  };
}
