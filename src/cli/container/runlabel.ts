/** `berth container runlabel RUN|INSTALL|UNINSTALL IMAGE`, `berth install`, `berth uninstall` (atomic's verbs). */
import { readFile } from 'node:fs/promises';
import { exec, InvalidArgument } from '../../core/index.js';
import { LabelMissing } from '../../engine/index.js';
import type { CommandContext } from '../context.js';
import { bool, list, parseFlags, str } from './flags.js';
import { defaultName, defaultRunLabel, findLabel, isEngineCli, labelArgv } from './runlabel-command.js';
import { openEngine } from './verbs.js';

const FLAGS = {
  name: { type: 'string' as const, short: 'n' },
  opt1: { type: 'string' as const },
  opt2: { type: 'string' as const },
  opt3: { type: 'string' as const },
  spc: { type: 'bool' as const },
  display: { type: 'bool' as const },
  replace: { type: 'bool' as const },
  ignore: { type: 'bool' as const },
  force: { type: 'bool' as const, short: 'f' },
  set: { type: 'list' as const },
};

async function sudoIds(env: CommandContext['env']): Promise<{ uid: string; gid: string }> {
  if (env.SUDO_UID !== undefined) return { uid: env.SUDO_UID, gid: env.SUDO_GID ?? env.SUDO_UID };
  const login = (await readFile('/proc/self/loginuid', 'utf8').catch(() => '')).trim();
  const uid = login && login !== '4294967295' ? login : '0';
  return { uid, gid: uid };
}

/** Executes one label; returns the exit code. */
export async function runLabel(labelKey: string, argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, FLAGS, true);
  const [image, ...args] = positionals;
  if (image === undefined) throw new InvalidArgument(`runlabel ${labelKey} requires an IMAGE`, {});
  const engine = await openEngine(ctx);
  const resolved = await engine.images.resolve(image);
  const labels = resolved.config.Labels ?? {};
  const key = labelKey.toUpperCase();
  const spc = bool(v.spc);
  let label = findLabel(labels, key);
  const name = str(v.name) ?? (spc ? `${defaultName(image)}-spc` : defaultName(image));
  if (label === undefined) {
    if (key === 'RUN') label = defaultRunLabel(spc, Boolean((ctx.stdin as { isTTY?: boolean }).isTTY));
    else if (key === 'INSTALL') {
      ctx.stderr.write(`Image ${image} has no ${key} label; nothing to install\n`);
      return 0;
    } else throw new LabelMissing(`Image ${JSON.stringify(image)} has no ${key} label`, { image, label: key });
  }
  const ids = await sudoIds(ctx.env);
  const env: Record<string, string | undefined> = {
    ...ctx.env, NAME: name, IMAGE: image, PWD: ctx.cwd, SUDO_UID: ids.uid, SUDO_GID: ids.gid,
    ...(str(v.opt1) !== undefined ? { OPT1: str(v.opt1) } : {}),
    ...(str(v.opt2) !== undefined ? { OPT2: str(v.opt2) } : {}),
    ...(str(v.opt3) !== undefined ? { OPT3: str(v.opt3) } : {}),
  };
  for (const kv of list(v.set)) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const runOptsFile = findLabel(labels, 'RUN_OPTS_FILE');
  if (runOptsFile) env.RUN_OPTS = (await readFile(labelArgv(runOptsFile, { image, name, args: [], env }).join(' '), 'utf8').catch(() => '')).trim();
  const cmd = labelArgv(label, { image, name, args, env });
  ctx.stdout.write(`${cmd.join(' ')}\n`);
  if (bool(v.display)) return 0;
  if (key === 'RUN') {
    const existing = await engine.inspect(name).catch(() => undefined);
    if (existing && existing.state.running && !bool(v.replace)) {
      ctx.stderr.write(`Container ${name} is running\n`);
      return 0;
    }
    if (existing && bool(v.replace)) await engine.remove(name, { force: true });
    else if (existing) {
      await engine.start(name);
      return 0;
    }
  }
  if (cmd.length === 0) return 0;
  if (isEngineCli(cmd[0]!)) {
    const { main } = await import('../main.js');
    return main(cmd.slice(1), { ...ctx, env });
  }
  const r = await exec(cmd, { env: env as NodeJS.ProcessEnv, check: false, stdio: ['inherit', 'inherit', 'inherit'] });
  return r.exitCode ?? 1;
}

export function runlabel(argv: readonly string[], ctx: CommandContext): Promise<number> {
  // podman's order is `runlabel [options] LABEL IMAGE`; accept the label anywhere before the image.
  const at = argv.findIndex((a) => /^(run|install|uninstall|stop)$/i.test(a));
  if (at < 0) {
    throw new InvalidArgument('Usage: berth container runlabel [--name NAME] [--opt1 X] [--spc] [--display] RUN|INSTALL|UNINSTALL IMAGE [ARG…]', {});
  }
  return runLabel(argv[at]!, [...argv.slice(0, at), ...argv.slice(at + 1)], ctx);
}

export async function install(argv: readonly string[], ctx: CommandContext): Promise<number> {
  return runLabel('INSTALL', argv, ctx);
}

/** Stops and removes container NAME, then runs the UNINSTALL label (atomic uninstall). */
export async function uninstall(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags(argv, FLAGS, true);
  const image = positionals[0];
  if (image === undefined) throw new InvalidArgument('"uninstall" requires an IMAGE', {});
  const engine = await openEngine(ctx);
  const name = str(v.name) ?? defaultName(image);
  const existing = await engine.inspect(name).catch(() => undefined);
  if (existing) await engine.remove(existing.id, { force: true });
  const labels = (await engine.images.resolve(image)).config.Labels ?? {};
  if (findLabel(labels, 'UNINSTALL') === undefined) return 0;
  return runLabel('UNINSTALL', argv, ctx);
}
