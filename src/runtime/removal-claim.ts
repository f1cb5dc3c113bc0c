import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** True when the container's record is gone or another process claimed its removal. */
export function removalClaimed(dir: string): boolean {
  return !existsSync(`${dir}/record.json`) || existsSync(`${dir}/removing`);
}

/**
 * A foreground `run --rm` removes its container itself right after the exit: an exit handler waits a
 * moment (bounded, 0.5 s) for that claim before loading the engine (the heaviest import) to do it.
 */
export async function waitForRemovalClaim(dir: string): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    if (removalClaimed(dir)) return true;
    await sleep(25);
  }
  return false;
}
