/**
 * How each Lambda handler is bundled (esbuild through NodejsFunction, no Docker). The CDK
 * stack and `npm run bundle` share these options, so the sizes the script reports are the
 * sizes that deploy.
 */
export const NODE_TARGET = 'node22';

/** npm packages shipped beside a bundle instead of inside it: WebAssembly codecs load their .wasm from disk. */
export const UNBUNDLED_PACKAGES = ['@cornerstonejs/codec-charls', '@cornerstonejs/codec-openjpeg', '@cornerstonejs/codec-libjpeg-turbo-8bit'];

export const BUNDLE_OPTIONS = {
  format: 'esm' as const,
  platform: 'node' as const,
  target: NODE_TARGET,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  // The Lambda runtime provides AWS SDK v3; the codecs ship unbundled (above).
  external: ['@aws-sdk/*', '@smithy/*', ...UNBUNDLED_PACKAGES],
  // ESM output still meets CommonJS dependencies (dcmjs's deps, the codecs' loaders) that call require.
  banner: "import { createRequire as __strataRequire } from 'node:module'; const require = __strataRequire(import.meta.url);",
};

/** Functions whose code loads the codecs (WADO-RS conversion and frames, rendered images). */
export function needsCodecs(entry: string): boolean {
  return entry.endsWith('/retrieve.ts') || entry.endsWith('/render.ts');
}
