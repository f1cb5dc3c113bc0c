/**
 * Opening the sysroot for `berth ostree admin …` and `berth host …`. Test overrides, both read
 * from the environment so the CLI can be driven in-process or as a subprocess:
 * - BERTH_CMDLINE: kernel command line to find the booted deployment (default /proc/cmdline
 *   when the sysroot is `/`);
 * - BERTH_RUNDIR: per-boot state directory (default /run).
 */
import type { CommandContext } from '../context.js';
import { BerthRepo, OstreeCliRepo, Sysroot } from '../../sysroot/index.js';

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
