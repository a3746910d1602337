import { describe, expect, it } from 'vitest';
import { storeResponse } from '#core/dicomweb/store-response.ts';

const stored = { sopClassUID: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUID: '1.2.3', retrieveUrl: 'https://a/dicom-web/studies/9/series/8/instances/1.2.3' };
const failed = { sopClassUID: '', sopInstanceUID: '', failureReason: 0xc000 };

describe('Store Instances Response (PS3.18 Annex I)', () => {
  it('answers 200 when everything was stored, with ReferencedSOPSequence and the study RetrieveURL', () => {
    const { status, body } = storeResponse([stored], [], 'https://a/dicom-web/studies/9');
    expect(status).toBe(200);
    expect(body['00081190']).toEqual({ vr: 'UR', Value: ['https://a/dicom-web/studies/9'] });
    expect(body['00081199']?.Value).toHaveLength(1);
    expect(body['00081198']).toBeUndefined();
  });

  it('answers 202 when some failed, with FailureReason as a US number', () => {
    const { status, body } = storeResponse([stored], [failed], undefined);
    expect(status).toBe(202);
    const item = (body['00081198']!.Value as Record<string, { Value?: unknown[] }>[])[0]!;
    expect(item['00081197']).toEqual({ vr: 'US', Value: [49152] });
    expect(item['00081155']).toEqual({ vr: 'UI' });
  });

  it('answers 409 when nothing was stored, and 202 for a warning alone', () => {
    expect(storeResponse([], [failed], undefined).status).toBe(409);
    expect(storeResponse([{ ...stored, warningReason: 0xb00e }], [], undefined).status).toBe(202);
  });

  it('sorts attribute keys ascending as the JSON model requires', () => {
    const { body } = storeResponse([stored], [failed], 'https://a/dicom-web/studies/9');
    expect(Object.keys(body)).toEqual(['00081190', '00081198', '00081199']);
  });
});
