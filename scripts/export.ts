/**
 * `npm run export -- --hold <id> | --query '<qido>' [--out dir]`: a discovery export started,
 * followed, downloaded and verified (scripts/clients/export/cli.ts). `--help` lists its options.
 */
import { main } from '#clients/export/cli.ts';

process.exitCode = await main(process.argv.slice(2));
