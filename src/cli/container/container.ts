/** `berth container SUBVERB …`: docker's management-command form, plus runlabel. */
import { InvalidArgument } from '../../core/index.js';
import type { CommandContext } from '../context.js';
import * as verbs from './verbs.js';

const SUBVERBS: Readonly<Record<string, (argv: readonly string[], ctx: CommandContext) => Promise<number>>> = {
  ls: verbs.ps, list: verbs.ps, ps: verbs.ps, run: verbs.run, create: verbs.create, start: verbs.start, stop: verbs.stop,
  kill: verbs.kill, restart: verbs.restart, rm: verbs.rm, remove: verbs.rm, logs: verbs.logs, exec: verbs.exec,
  inspect: verbs.inspect, wait: verbs.wait, top: verbs.top, stats: verbs.stats, cp: verbs.cp, port: verbs.port,
  rename: verbs.rename, prune: verbs.prune, events: verbs.events,
  runlabel: async (argv, ctx) => (await import('./runlabel.js')).runlabel(argv, ctx),
  // Boot-time hook (a oneshot unit, or berthd at start): bring back always/unless-stopped containers.
  restore: async (_argv, ctx) => {
    for (const id of await (await verbs.openEngine(ctx)).restore()) ctx.stdout.write(`${id}\n`);
    return 0;
  },
};

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  const fn = sub === undefined ? undefined : SUBVERBS[sub];
  if (fn === undefined) {
    throw new InvalidArgument(`Usage: berth container ${Object.keys(SUBVERBS).join('|')} …`, { subverb: sub ?? '' });
  }
  return fn(rest, ctx);
}
