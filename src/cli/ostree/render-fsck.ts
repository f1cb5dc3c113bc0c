import type { FsckEvent } from '../../ostree/index.js';

/** ostree 2022.7's fsck text for one event: [stream, text], or undefined when nothing is printed. */
export function renderFsckEvent(e: FsckEvent, options: { readonly quiet: boolean }): ['stdout' | 'stderr', string] | undefined {
  switch (e.type) {
    case 'phase':
      if (options.quiet) return undefined;
      return ['stdout', e.phase === 'refs' ? 'Validating refs...\n' : e.phase === 'collection-refs' ? 'Validating refs in collections...\n' : 'Enumerating commits...\n'];
    case 'verifying':
      return options.quiet ? undefined : ['stdout', `Verifying content integrity of ${e.commits} commit objects...\n`];
    case 'progress': {
      const pct = e.done === e.total ? 100 : Math.trunc((e.done / e.total) * 100);
      return ['stdout', `fsck objects (${e.done}/${e.total}) ${pct}%\n`];
    }
    case 'missing':
      return ['stderr', e.commits.length > 0
        ? `Object missing in commits ${e.commits.join(', ')}: ${e.checksum}.${e.objectType}\n`
        : `Object missing: ${e.checksum}.${e.objectType}\n`];
    case 'corrupt':
      return ['stderr', `${e.message}\n`];
    case 'marked-partial':
      return ['stderr', `Marking commit as partial: ${e.commit}\n`];
    case 'partial-not-verified':
      return ['stdout', `${e.count} partial commits not verified\n`];
    case 'ok':
      return ['stdout', `object fsck of ${e.commits} commits completed successfully - no errors found.\n`];
  }
}

/**
 * glnx's console progress when stdout is not a terminal: at most one line a second, except the
 * final 100 % line which always prints. `now` is injected so tests are deterministic.
 */
export function progressLimiter(now: () => number): (done: number, total: number) => boolean {
  let last = -Infinity;
  return (done, total) => {
    const t = now();
    if (done !== total && t - last < 1000) return false;
    last = t;
    return true;
  };
}
