/**
 * Entry point of the per-container monitor process (spawned detached by Engine.start).
 * argv: <container dir>. Reports `{"pid":N}` or `{"error":"…"}` as one line on fd 3, then keeps running
 * until the container has exited for good (see runtime/monitor.ts).
 */
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { runMonitor, type MonitorConfig } from '../runtime/index.js';
import type { ContainerRecord } from './engine.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: monitor-main <container dir>');
// Booted early by Engine.start; wait until it says the config is written ("go" or EOF on stdin).
await new Promise<void>((resolve) => {
  process.stdin.once('data', () => resolve());
  process.stdin.once('end', () => resolve());
  process.stdin.once('error', () => resolve());
});
process.stdin.destroy();
const config = JSON.parse(readFileSync(`${dir}/monitor.json`, 'utf8')) as MonitorConfig;
const record = JSON.parse(readFileSync(`${dir}/record.json`, 'utf8')) as ContainerRecord;
const engineOptions = { root: record.engine.root, runRoot: record.engine.runRoot, bridge: record.engine.bridge, subnet: record.engine.subnet };
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
let exitCode = 0;
try {
  // The engine (and with it images, networking) is loaded only when needed: restarts and --rm.
  const engine = async () => {
    const [{ Engine }, { StoreImages }] = await Promise.all([import('./engine.js'), import('./store-images.js')]);
    return new Engine(await StoreImages.open(record.engine.root), engineOptions);
  };
  exitCode = await runMonitor(config, {
    beforeStart: async () => (await engine()).ensureNetwork(record),
    onAutoRemove: async () => {
      // A foreground `berth run --rm` removes the container itself right after the exit; give it a moment
      // and load the engine only when nobody did.
      for (let i = 0; i < 20 && existsSync(`${dir}/record.json`) && !existsSync(`${dir}/removing`); i++) await sleep(25);
      if (!existsSync(`${dir}/record.json`) || existsSync(`${dir}/removing`)) return;
      await (await engine()).removeStopped(JSON.parse(readFileSync(`${dir}/record.json`, 'utf8')) as ContainerRecord, true);
    },
  }, report);
} catch (err) {
  report({ error: err instanceof Error ? err.message : String(err) });
}
// The container's exit code, so a systemd unit tracking this process sees the container's result.
process.exit(exitCode);
