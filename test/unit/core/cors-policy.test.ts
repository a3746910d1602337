import { describe, expect, it } from 'vitest';
import { allowedOrigin, corsHeadersFor } from '#core/cors-policy.ts';

describe('The CORS policy from the allowedOrigins setting', () => {
  it('lets any origin read when * is allowed', () => {
    expect(allowedOrigin(['*'], 'https://anyone.example')).toBe('*');
    expect(corsHeadersFor(['*'], undefined)['Access-Control-Allow-Origin']).toBe('*');
    expect(corsHeadersFor(['*'], undefined).Vary).toBeUndefined();
  });

  it('names the request\'s origin only when it is on the list, and varies by Origin', () => {
    const allowed = ['https://viewer.example', 'https://pacs.example'];
    expect(corsHeadersFor(allowed, 'https://pacs.example')).toMatchObject({ 'Access-Control-Allow-Origin': 'https://pacs.example', Vary: 'Origin' });
    expect(corsHeadersFor(allowed, 'https://evil.example')).toEqual({ Vary: 'Origin' });
    expect(corsHeadersFor(allowed, undefined)).toEqual({ Vary: 'Origin' });
  });
});
