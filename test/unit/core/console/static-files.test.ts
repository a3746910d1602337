import { describe, expect, it } from 'vitest';
import { NotFoundError } from '#core/errors.ts';
import { cacheControlOf, consoleFileOf, mediaTypeOf, withBaseHref } from '#core/console/static-files.ts';

describe('The console\'s static files', () => {
  it('names the page for the folder itself, and files inside it by their path', () => {
    expect(consoleFileOf(undefined)).toBe('index.html');
    expect(consoleFileOf('')).toBe('index.html');
    expect(consoleFileOf('assets/index-C0mt6o8C.js')).toBe('assets/index-C0mt6o8C.js');
  });

  it('refuses any path that could leave the folder or reach a hidden file, as 404', () => {
    for (const path of ['..', '../package.json', 'assets/../../x', '.source-hash', 'assets/.x', 'a//b', '/etc/passwd', 'a/b/c/d/e', 'a%2F..', 'x'.repeat(200), 'assets/a..js']) {
      expect(() => consoleFileOf(path), path).toThrow(NotFoundError);
    }
  });

  it('gives each file its media type, and lets browsers keep hashed assets for a year but revalidate the page', () => {
    expect(mediaTypeOf('index.html')).toBe('text/html; charset=utf-8');
    expect(mediaTypeOf('assets/index-1.js')).toBe('text/javascript; charset=utf-8');
    expect(mediaTypeOf('assets/index-1.CSS')).toBe('text/css; charset=utf-8');
    expect(mediaTypeOf('assets/blob')).toBe('application/octet-stream');
    expect(cacheControlOf('assets/index-1.js')).toBe('public, max-age=31536000, immutable');
    expect(cacheControlOf('index.html')).toBe('no-cache');
  });

  it('puts <base href> first in the head, escaped, so relative asset URLs resolve under any stage prefix', () => {
    expect(withBaseHref('<!doctype html><html><head lang="x"><title>t</title></head></html>', '/v1/console/')).toBe(
      '<!doctype html><html><head lang="x"><base href="/v1/console/"><title>t</title></head></html>',
    );
    expect(withBaseHref('<head></head>', '/a"b<c&/')).toBe('<head><base href="/a&quot;b&lt;c&amp;/"></head>');
    expect(() => withBaseHref('<html></html>', '/')).toThrow(/no <head>/);
  });
});
