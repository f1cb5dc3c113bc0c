import { processContext } from './context.js';
import { main } from './main.js';

// A reader that goes away (`berth ostree log | head`) ends us quietly, as SIGPIPE ends ostree.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(141);
    throw err;
  });
}

const code = await main(process.argv.slice(2), processContext());
process.exitCode = code;
