import { readFileSync } from 'node:fs';
import type { CommandContext } from './context.js';

export function berthVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function run(_argv: readonly string[], ctx: CommandContext): Promise<number> {
  ctx.stdout.write(`berth ${berthVersion()}\n`);
  return 0;
}
