import { describe, expect, it } from 'vitest';
import { instanceTransferSyntax, parseAccept } from '#core/dicomweb/accept.ts';
import { parseMediaType } from '#core/dicomweb/media-type.ts';

describe('Media types and Accept', () => {
  it('reads parameters in any order, quoted or not, in any case', () => {
    expect(parseMediaType('Multipart/Related; boundary="a;b"; TYPE=application/dicom')).toEqual({
      type: 'multipart/related',
      parameters: { boundary: 'a;b', type: 'application/dicom' },
    });
    expect(parseMediaType('multipart/related;type="application/dicom";boundary=xyz').parameters.boundary).toBe('xyz');
  });

  it('orders Accept ranges by q-value and drops q=0', () => {
    const ranges = parseAccept('application/json;q=0.5, multipart/related; type="application/dicom", image/jpeg;q=0');
    expect(ranges.map((r) => r.type)).toEqual(['multipart/related', 'application/json']);
  });

  it('asks for Explicit VR Little Endian by default and honours transfer-syntax=*', () => {
    expect(instanceTransferSyntax(parseAccept(undefined))).toBe('1.2.840.10008.1.2.1');
    expect(instanceTransferSyntax(parseAccept('multipart/related; type="application/dicom"; transfer-syntax=*'))).toBe('*');
    expect(instanceTransferSyntax(parseAccept('application/dicom+json'))).toBeUndefined();
  });
});
