/**
 * Recording a conmon-monitored container's exit. conmon writes the exit file and then runs our exit command
 * (conmon-exit-main.ts); an engine that reads the state first (a `wait` polling it) records the exit itself.
 * Whichever comes first claims the exit with an O_EXCL file and writes the `die` event and state.json, so
 * the event precedes the exited state, as with the Node monitor, and is written once.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { isErrno, writeFileAtomic } from '../core/index.js';
import { formatNanoTime } from './json-log.js';
import { appendEvent, emptyState, STOP_REQUESTED, type MonitorState } from './monitor.js';
import { oomFilePath, readExitFile } from './conmon.js';

/** What the exit handling needs to know about a container (written by the engine at every start as conmon.json). */
export interface ConmonExitConfig {
  readonly id: string;
  readonly dir: string;
  readonly runDir: string;
  readonly eventsPath: string;
  /** Event attributes: name, image and labels. */
  readonly attributes: Readonly<Record<string, string>>;
  readonly restartPolicy: { readonly name: string; readonly maximumRetryCount: number };
  readonly autoRemove: boolean;
}

export const EXIT_CLAIM = 'exit-claimed';
/** Written by the exit command once the runtime's container is deleted (a new run may start). */
export const EXIT_DONE = 'exit-done';

async function readState(dir: string): Promise<MonitorState> {
  try {
    return { ...emptyState(), ...(JSON.parse(await readFile(`${dir}/state.json`, 'utf8')) as Partial<MonitorState>) };
  } catch {
    return emptyState();
  }
}

/** True when the restart policy restarts a container that exited with `code` (restartCount restarts so far). */
export function wantsRestart(policy: ConmonExitConfig['restartPolicy'], code: number, restartCount: number, stopRequested: boolean): boolean {
  if (stopRequested) return false;
  return policy.name === 'always' || policy.name === 'unless-stopped' ||
    (policy.name === 'on-failure' && code !== 0 && (policy.maximumRetryCount === 0 || restartCount < policy.maximumRetryCount));
}

/**
 * Records the exit if conmon wrote an exit file for the current run and nobody recorded it yet. Returns the
 * state written, or undefined when there is nothing to record here (no exit yet, or another process has
 * claimed it: its state.json write follows within moments).
 */
export async function recordConmonExit(c: ConmonExitConfig): Promise<MonitorState | undefined> {
  const exit = await readExitFile(c.runDir, c.id);
  if (exit === undefined) return undefined;
  const state = await readState(c.dir);
  if (state.status !== 'running') return undefined;
  try {
    await writeFile(`${c.runDir}/${EXIT_CLAIM}`, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if (isErrno(err, 'EEXIST') || isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const fresh = await readState(c.dir); // read again under the claim
  if (fresh.status !== 'running') return undefined;
  const stopRequested = await stat(`${c.dir}/${STOP_REQUESTED}`).then(() => true, () => false);
  const oomKilled = await stat(oomFilePath(`${c.dir}/bundle`)).then(() => true, () => false);
  const restart = wantsRestart(c.restartPolicy, exit.code, fresh.restartCount, stopRequested);
  const next: MonitorState = {
    ...fresh,
    status: restart ? 'restarting' : 'exited',
    pid: 0,
    exitCode: exit.code,
    finishedAt: formatNanoTime(exit.finishedNs),
    manuallyStopped: fresh.manuallyStopped || stopRequested,
    oomKilled,
    restartCount: fresh.restartCount + (restart ? 1 : 0),
  };
  appendEvent(c.eventsPath, { type: 'container', action: 'die', id: c.id, attributes: { ...c.attributes, exitCode: String(exit.code) } });
  await writeFileAtomic(`${c.dir}/state.json`, JSON.stringify(next), { durable: false });
  return next;
}
