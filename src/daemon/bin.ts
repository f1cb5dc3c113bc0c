/** berthd: the host daemon (`berthd ARGS` is `berth daemon ARGS`). */
import { main } from '../cli/index.js';

const code = await main(['daemon', ...process.argv.slice(2)], {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
