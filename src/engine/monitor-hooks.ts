/**
 * What a container's monitor (runtime/monitor-main.ts) asks of the engine, loaded into the monitor only
 * when needed: re-create the network namespace before a restart, and remove an --rm container.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Engine, type ContainerRecord } from './engine.js';
import { StoreImages } from './store-images.js';

function open(dir: string): { engine: Engine; record: ContainerRecord } {
  const record = JSON.parse(readFileSync(`${dir}/record.json`, 'utf8')) as ContainerRecord;
  const e = record.engine;
  return { engine: new Engine(new StoreImages(e.root), { root: e.root, runRoot: e.runRoot, bridge: e.bridge, subnet: e.subnet }), record };
}

export async function beforeStart(dir: string): Promise<void> {
  const { engine, record } = open(dir);
  await engine.ensureNetwork(record);
}

/** Called by conmon's exit command (runtime/conmon-exit-main.ts) to apply a restart policy. */
export async function restartAfterExit(dir: string): Promise<void> {
  const { engine, record } = open(dir);
  await engine.restartAfterExit(record.id);
}

/** Called once monitor-main gave a foreground `run --rm` its moment to remove the container itself. */
export async function onAutoRemove(dir: string): Promise<void> {
  if (!existsSync(`${dir}/record.json`) || existsSync(`${dir}/removing`)) return;
  const { engine, record } = open(dir);
  await engine.removeStopped(record, true);
}
