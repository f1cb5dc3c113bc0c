/**
 * Entry point of the per-container monitor process (spawned detached by the engine's start).
 * argv: <container dir>. Booted early, it waits for "go" (or EOF) on stdin, reads monitor.json, reports
 * `{"pid":N}` or `{"error":"…"}` as one line on fd 3, then runs until the container has exited for good
 * (see monitor.ts) and exits with the container's exit code (what a systemd unit tracking it sees).
 * It imports only the monitor itself; what the engine does at restarts and for --rm comes from the module
 * named in `hooksModule`, loaded when first needed.
 */
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { runMonitor, type MonitorConfig, type MonitorHooks } from './monitor.js';
import { closeInheritedPtyMasters } from './console.js';
import { waitForRemovalClaim } from './removal-claim.js';

/** What a hooks module exports (engine/monitor-hooks.ts). */
interface MonitorHooksModule {
  beforeStart(dir: string): Promise<void>;
  onAutoRemove(dir: string): Promise<void>;
}

async function main(dir: string): Promise<number> {
  closeInheritedPtyMasters(); // a monitor lives as long as its container: it must not pin another terminal
  await new Promise<void>((resolve) => {
    process.stdin.once('data', () => resolve());
    process.stdin.once('end', () => resolve());
    process.stdin.once('error', () => resolve());
  });
  process.stdin.destroy();
  const config = JSON.parse(readFileSync(`${dir}/monitor.json`, 'utf8')) as MonitorConfig & { hooksModule?: string };
  let reported = false;
  const report = (msg: object) => {
    if (reported) return;
    reported = true;
    try {
      writeSync(3, `${JSON.stringify(msg)}\n`);
      closeSync(3);
    } catch {
      /* the starter went away; nothing to tell */
    }
  };
  process.on('SIGHUP', () => undefined);
  process.on('SIGPIPE', () => undefined);
  let loaded: Promise<MonitorHooksModule> | undefined;
  const hooksModule = config.hooksModule;
  const load = () => (loaded ??= import(hooksModule!) as Promise<MonitorHooksModule>);
  const hooks: MonitorHooks = hooksModule
    ? { beforeStart: async () => (await load()).beforeStart(dir), onAutoRemove: async () => ((await waitForRemovalClaim(dir)) ? undefined : (await load()).onAutoRemove(dir)) }
    : {};
  try {
    return await runMonitor(config, hooks, report);
  } catch (err) {
    report({ error: err instanceof Error ? err.message : String(err) });
    return 128;
  }
}

// Never imported (index.ts does not re-export it: the hooks import the engine, which imports the runtime
// index; a cycle back into this module while it awaits would deadlock).
const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: monitor-main <container dir>');
process.exit(await main(dir));
