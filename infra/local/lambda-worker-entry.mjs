// The entry of a Lambda worker thread (lambda-threads.ts). Plain JavaScript: a worker does not
// inherit the TypeScript loader its host runs under (`tsx`, `node --import tsx`, vitest), so it
// registers tsx's hooks in its own thread before it loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./lambda-worker.ts');
