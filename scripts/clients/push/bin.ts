/** The `strata-push` bin of the clients package (bundled by `npm run build:clients`). */
import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2));
