import type { CommandHandler } from './context.js';

/**
 * Top-level verbs, loaded lazily so `berth ostree …` does not pay for the container engine.
 * Each subsystem adds its verbs here: name -> module exporting `run`.
 */
export interface CommandEntry {
  readonly summary: string;
  readonly load: () => Promise<{ run: CommandHandler }>;
}

export const COMMANDS: ReadonlyMap<string, CommandEntry> = new Map<string, CommandEntry>([
  ['version', { summary: 'Print berth’s version', load: () => import('./version.js') }],
  ['tour', { summary: 'A guided tour: init a repo under ./.berth, commit, log, diff, checkout', load: () => import('./tour.js') }],
]);
