/**
 * API Gateway's binary body encoding (binaryMediaTypes "*\/*"): a non-empty body is base64 in
 * the proxy event. The local gateway hands the Lambda host the request's bytes beside the rest of
 * the event, and the host encodes them where the handler runs: in a worker thread the bytes cross
 * as one transferred buffer, and the main thread neither encodes them nor copies the encoded text.
 */
export interface BinaryBodyFields {
  body: string | null;
  isBase64Encoded: boolean;
}

export function withBinaryBody<T extends object>(event: T, body: Uint8Array): T & BinaryBodyFields {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return { ...event, body: bytes.length ? bytes.toString('base64') : null, isBase64Encoded: bytes.length > 0 };
}

/** The length of `bytes` bytes in base64 (with padding), without encoding them. */
export const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);
