import { parseArgs } from 'node:util';
import { isAbsolute, join } from 'node:path';
import { serveRepo } from '../../ostree/index.js';
import type { CommandContext } from '../context.js';

const USAGE = `Usage: berth repo serve DIR [--address=127.0.0.1] [--port=8000] [--log]

Serves an archive repository over HTTP (Range requests, ETags, cache headers) for
\`ostree pull\` / \`berth ostree pull\`. Loopback only unless --address says otherwise.
`;

/** `berth repo serve DIR`: runs until SIGINT/SIGTERM (or ctx abort in tests). */
export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'serve') {
    (sub === undefined || sub === '--help' ? ctx.stdout : ctx.stderr).write(USAGE);
    return sub === undefined || sub === '--help' ? 0 : 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      address: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8000' },
      log: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.stdout.write(USAGE);
    return 0;
  }
  const dir = positionals[0];
  if (dir === undefined || positionals.length > 1) {
    ctx.stderr.write(USAGE);
    return 2;
  }
  const root = isAbsolute(dir) ? dir : join(ctx.cwd, dir);
  const running = await serveRepo({
    root,
    host: values.address,
    port: Number(values.port),
    ...(values.log ? { log: (line: string) => void ctx.stderr.write(`${line}\n`) } : {}),
  });
  ctx.stdout.write(`Serving ${root} on ${running.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}
