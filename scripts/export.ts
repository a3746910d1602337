/**
 * `npm run export -- --hold <id> | --query '<qido>' [--out dir]`: a discovery export started,
 * followed, downloaded and verified against the archive's key (scripts/clients/export/cli.ts);
 * `npm run export -- verify <dir> [--public-key FILE.pem | --url U --token T]` checks a
 * downloaded package again. `--help` lists its options.
 */
import { main } from '#clients/export/cli.ts';

process.exitCode = await main(process.argv.slice(2));
