/**
 * `npm run edge -- --aet STRATA --port 11112 --url … --token …`: the edge gateway
 * (scripts/clients/edge/cli.ts; also the `strata-edge` bin of the clients package). `--help` lists its options.
 */
import { main } from '#clients/edge/cli.ts';

process.exitCode = await main(process.argv.slice(2));
