// `kontext serve` as a real process for serve-cli.test.ts, with the tests' slow model registered first:
//
//   node --import tsx test/service/serve-child.ts serve --model slow:60 --port 0 --data DIR
import './helpers.ts';
import { main } from '../../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
