import { join } from 'node:path';

/**
 * berth's state and run roots when neither flags nor berth.toml name them ($BERTH_ROOT, /var/lib/berth and /run/berth
 * as root, ./.berth otherwise). Apart from daemon-config.ts so the image verbs do not load the TOML parser.
 */
export function defaultRoot(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): { root: string; runRoot: string } {
  const isRoot = process.getuid?.() === 0;
  if (env.BERTH_ROOT !== undefined && env.BERTH_ROOT !== '') {
    return { root: env.BERTH_ROOT, runRoot: env.BERTH_RUN_ROOT ?? join(env.BERTH_ROOT, 'run') };
  }
  if (isRoot) return { root: '/var/lib/berth', runRoot: '/run/berth' };
  // Runtime files hold Unix sockets (107-byte paths): keep them short, out of a possibly deep cwd.
  const xdg = env.XDG_RUNTIME_DIR;
  return { root: join(cwd, '.berth'), runRoot: xdg !== undefined && xdg !== '' ? join(xdg, 'berth') : `/tmp/berth-${process.getuid?.() ?? 0}` };
}
