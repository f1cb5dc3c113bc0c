import { InvalidArgument } from '../../core/index.js';
import type { CommandContext, CommandHandler } from '../context.js';

/** `berth image SUBCOMMAND`: docker's image management verbs. */
const SUBVERBS: Readonly<Record<string, () => Promise<{ run: CommandHandler }>>> = {
  ls: () => import('./images.js'),
  list: () => import('./images.js'),
  rm: () => import('./rmi.js'),
  remove: () => import('./rmi.js'),
  inspect: () => import('./inspect.js'),
  pull: () => import('./pull.js'),
  push: () => import('./push.js'),
  tag: () => import('./tag.js'),
  save: () => import('./save.js'),
  load: () => import('./load.js'),
  prune: () => import('./prune.js'),
};

const USAGE = `Usage:  berth image COMMAND

Manage images

Commands:
  inspect     Display detailed information on one or more images
  load        Load an image from a tar archive or STDIN
  ls          List images
  prune       Remove unused images
  pull        Download an image from a registry
  push        Upload an image to a registry
  rm          Remove one or more images
  save        Save one or more images to a tar archive (streamed to STDOUT by default)
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
`;

export async function run(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    (sub === undefined ? ctx.stderr : ctx.stdout).write(USAGE);
    return sub === undefined ? 2 : 0;
  }
  const load = SUBVERBS[sub];
  if (load === undefined) throw new InvalidArgument(`Unknown image command ${JSON.stringify(sub)}\n${USAGE}`, { command: sub });
  return (await load()).run(rest, ctx);
}
