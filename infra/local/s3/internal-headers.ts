export /** Headers for the proxy's own calls to s3rver, which checks their form (not their signature). */
function internalHeaders(): Record<string, string> {
  return {
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-amz-date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''),
    authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20000101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
  };
}
