/**
 * `npm run push -- <file|folder>…`: the push CLI (scripts/clients/push/cli.ts; also the `strata-push`
 * bin of the clients package). `--help` lists its options.
 */
import { main } from '#clients/push/cli.ts';

process.exitCode = await main(process.argv.slice(2));
