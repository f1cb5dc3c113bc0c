/**
 * Opening the sysroot for `berth ostree admin …` and `berth host …`. Test overrides, both read
 * from the environment so the CLI can be driven in-process or as a subprocess:
 * - BERTH_CMDLINE: kernel command line to find the booted deployment (default /proc/cmdline
 *   when the sysroot is `/`);
 * - BERTH_RUNDIR: per-boot state directory (default /run).
 */
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { CommandContext } from '../context.js';
import { BerthRepo, lockSysroot, OstreeCliRepo, Sysroot } from '../../sysroot/index.js';

export function openSysroot(ctx: CommandContext, sysrootPath: string | undefined): Promise<Sysroot> {
  const log = (line: string) => ctx.stdout.write(`${line}\n`);
  return Sysroot.load({
    path: sysrootPath ?? '/',
    openRepo: async (p) => (ctx.env.BERTH_SYSROOT_REPO === 'cli' ? new OstreeCliRepo(p) : BerthRepo.open(p)),
    ...(ctx.env.BERTH_CMDLINE !== undefined ? { cmdline: ctx.env.BERTH_CMDLINE } : {}),
    ...(ctx.env.BERTH_RUNDIR !== undefined ? { runDir: ctx.env.BERTH_RUNDIR } : {}),
    log,
  });
}

/** Takes `--sysroot=DIR` / `--sysroot DIR` from anywhere in argv (ostree accepts it before or after the verb). */
export function takeSysroot(argv: readonly string[]): { sysroot: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let sysroot: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--sysroot=')) sysroot = a.slice('--sysroot='.length);
    else if (a === '--sysroot') sysroot = argv[++i];
    else rest.push(a);
  }
  return { sysroot, rest };
}

/** Runs a writing verb under the sysroot lock ostree's admin commands take (see sysroot/lock.ts). */
export async function withSysrootLock<T>(ctx: CommandContext, sysrootPath: string | undefined, fn: () => Promise<T>): Promise<T> {
  const root = path.resolve(ctx.cwd, sysrootPath ?? '/');
  // Not a sysroot at all: no lock file to create there; the verb says what is wrong.
  if (!(await stat(path.join(root, 'ostree')).then((st) => st.isDirectory(), () => false))) return fn();
  const lock = await lockSysroot(root, {
    onWait: () => ctx.stderr.write('Waiting for the sysroot lock (another ostree or berth process holds it)...\n'),
  });
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
