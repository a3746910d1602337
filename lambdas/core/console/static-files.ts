/**
 * The console's static files as HTTP: which file a path names (nothing outside the folder, no
 * hidden files), its media type, how long browsers may cache it, the headers that confine the
 * page (Content-Security-Policy: its own scripts and styles, requests to its own origin only),
 * and the `<base href>` that lets one build work under any stage prefix (`/v1/console/` on
 * API Gateway's URL, `/console/` on a custom domain or locally). Pure.
 */
import { NotFoundError } from '#core/errors.ts';

export const INDEX_FILE = 'index.html';
/** Vite names every built asset after its content's hash: a changed file is a new name. */
const HASHED_DIRECTORY = 'assets/';
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_DEPTH = 4;

/** The file a request path under /console/ names (`''` or absent: the page itself). */
export function consoleFileOf(path: string | undefined): string {
  if (path === undefined || path === '' || path === '/') return INDEX_FILE;
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH || !segments.every((s) => SEGMENT.test(s) && !s.includes('..'))) {
    throw new NotFoundError(`no console file ${path.slice(0, 100)}`);
  }
  return segments.join('/');
}

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  json: 'application/json',
  map: 'application/json',
  txt: 'text/plain; charset=utf-8',
};

export function mediaTypeOf(file: string): string {
  return MEDIA_TYPES[file.slice(file.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** Hashed assets for a year; the page (which names them) revalidated every time, so a deploy shows at once. */
export function cacheControlOf(file: string): string {
  return file.startsWith(HASHED_DIRECTORY) ? 'public, max-age=31536000, immutable' : 'no-cache';
}

/**
 * What confines the page: its scripts, styles and images from its own folder, fetches to its own
 * origin (the API), no frames, no plugins, no forms posted elsewhere; the token never leaves in a Referer.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The page with `<base href="…">` first in its head: relative asset URLs then resolve under `base`. */
export function withBaseHref(html: string, base: string): string {
  const head = /<head[^>]*>/i.exec(html);
  if (!head) throw new Error('the console page has no <head>');
  const at = head.index + head[0].length;
  return `${html.slice(0, at)}<base href="${escapeAttribute(base)}">${html.slice(at)}`;
}
