/** `berth generate systemd [--new] [--files] [--name] [--restart-policy P] [--time N] CONTAINER|IMAGE [CMD…]` */
import { realpathSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { InvalidArgument } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import { bool, parseFlags, str } from './flags.js';
import { renderUnit, unitName } from './generate-unit.js';
import { CREATE_FLAGS, openEngine } from './verbs.js';

/** The command that runs this berth (absolute), e.g. [node, /…/dist/cli/bin.js] or [/usr/bin/berth]. */
export function berthCommand(): string[] {
  const script = process.argv[1] ? realpathSync(process.argv[1]) : '';
  return script.endsWith('.js') ? [process.execPath, script] : [script];
}

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [what, ...rest] = argv;
  if (what !== 'systemd') throw new InvalidArgument('Usage: berth generate systemd [--new] [--files] CONTAINER | --new IMAGE [CMD…]', {});
  const { values: v, positionals } = parseFlags(rest, {
    new: { type: 'bool' }, files: { type: 'bool', short: 'f' }, name: { type: 'string' }, 'restart-policy': { type: 'string' },
    time: { type: 'string', short: 't' }, 'container-prefix': { type: 'string' }, description: { type: 'string' },
    ...Object.fromEntries(Object.entries(CREATE_FLAGS).filter(([k]) => !['name', 'detach', 'rm', 'restart'].includes(k))),
  }, true);
  if (positionals.length === 0) throw new InvalidArgument('"generate systemd" requires a CONTAINER (or --new IMAGE)', {});
  const env: Record<string, string> = {};
  for (const k of ['BERTH_ROOT', 'BERTH_RUNROOT', 'BERTH_BRIDGE', 'BERTH_SUBNET', 'BERTH_RUNTIME']) if (ctx.env[k]) env[k] = ctx.env[k]!;
  const stopTimeout = str(v.time) !== undefined ? Number(str(v.time)) : 10;
  const restartPolicy = str(v['restart-policy']) ?? 'on-failure';
  let unit: string;
  let name: string;
  if (bool(v.new)) {
    // Keep the user's create flags: everything between `systemd` and the image, minus ours.
    const ours = new Set(['--new', '--files', '-f']);
    const runArgs: string[] = [];
    const flagCount = rest.length - positionals.length; // everything from the image on is IMAGE [CMD…]
    for (let i = 0; i < flagCount; i++) {
      const a = rest[i]!;
      if (ours.has(a)) continue;
      if (['--name', '--restart-policy', '--time', '-t', '--description', '--container-prefix'].includes(a)) {
        i++;
        continue;
      }
      if (/^--(name|restart-policy|time|description|container-prefix)=/.test(a)) continue;
      runArgs.push(a);
    }
    runArgs.push(...positionals);
    name = str(v.name) ?? path.basename(positionals[0]!).split(':')[0]!;
    unit = renderUnit({ berth: berthCommand(), name, runArgs, restartPolicy, stopTimeout, environment: env, ...(str(v.description) ? { description: str(v.description)! } : {}) });
  } else {
    const engine = await openEngine(ctx);
    const info = await engine.inspect(positionals[0]!);
    name = info.name;
    unit = renderUnit({
      berth: berthCommand(), name, id: info.id, restartPolicy, stopTimeout, environment: env,
      pidFile: `${engine.runDir(info.id)}/monitor.pid`,
      ...(str(v.description) ? { description: str(v.description)! } : {}),
    });
  }
  if (bool(v.files)) {
    const file = path.join(ctx.cwd, unitName(name));
    await writeFile(file, unit);
    ctx.stdout.write(`${file}\n`);
  } else ctx.stdout.write(unit);
  return 0;
}
