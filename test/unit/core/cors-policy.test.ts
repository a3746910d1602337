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

describe('The CORS headers themselves', () => {
  it('exposes the headers viewers need (preflights are the gateway\'s: test/integration/gateway-cors.test.ts)', () => {
    expect(corsHeadersFor(['*'], undefined)).toEqual({
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Expose-Headers': 'Warning, Content-Location, ETag, Retry-After, Location, Content-Range',
    });
  });

  it('never names an origin that is not on the list, even a prefix or an empty one', () => {
    const allowed = ['https://viewer.example'];
    expect(allowedOrigin(allowed, 'https://viewer.example')).toBe('https://viewer.example');
    expect(allowedOrigin(allowed, 'https://viewer.example.evil')).toBeUndefined();
    expect(allowedOrigin(allowed, '')).toBeUndefined();
    expect(allowedOrigin([], 'https://viewer.example')).toBeUndefined();
  });
});
