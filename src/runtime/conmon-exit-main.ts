/**
 * conmon's exit command (argv: <container dir> [--removal-waited]): a short-lived process run only when a
 * container exited (directly by conmon, or by the shell exit command for an --rm container nobody removed).
 * Records the exit (conmon-exit.ts), stops the port proxy, deletes the runtime's container, then applies the
 * restart policy (after the Node monitor's backoff) or removes an --rm container. What needs the engine
 * comes from the hooks module named in conmon.json, loaded only then. conmon waits for this process, so the
 * conmon pid in state.json stays alive until the exit is fully handled.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { exec, writeFileAtomic } from '../core/index.js';
import { EXIT_DONE, recordConmonExit, type ConmonExitConfig } from './conmon-exit.js';
import { emptyState, nowRfc3339, STOP_REQUESTED, type MonitorState } from './monitor.js';
import { directArgv, type RuntimeCommand } from './oci-runtime.js';
import { removalClaimed, waitForRemovalClaim } from './removal-claim.js';

interface ConmonJson extends ConmonExitConfig {
  readonly runtime: RuntimeCommand;
  readonly hooksModule: string;
}

interface HooksModule {
  restartAfterExit(dir: string): Promise<void>;
  onAutoRemove(dir: string): Promise<void>;
}

async function state(dir: string): Promise<MonitorState> {
  return { ...emptyState(), ...(JSON.parse(await readFile(`${dir}/state.json`, 'utf8').catch(() => '{}')) as Partial<MonitorState>) };
}

async function main(dir: string): Promise<number> {
  if (!existsSync(`${dir}/record.json`)) return 0; // removed already (a foreground run --rm)
  const c = JSON.parse(readFileSync(`${dir}/conmon.json`, 'utf8')) as ConmonJson;
  let s = await recordConmonExit(c);
  // Recorded by an engine instead: its state.json write follows its claim within moments (bounded wait).
  for (let i = 0; s === undefined && i < 400; i++) {
    const cur = await state(dir);
    if (cur.status !== 'running') s = cur;
    else await sleep(5);
  }
  if (s === undefined) return 1;
  if (s.proxyPid) {
    try {
      process.kill(s.proxyPid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  await exec(directArgv(c.runtime, 'delete', '--force', c.id), { check: false }).catch(() => undefined);
  await writeFile(`${c.runDir}/${EXIT_DONE}`, '').catch(() => undefined);
  let hooks: Promise<HooksModule> | undefined;
  const load = () => (hooks ??= import(c.hooksModule) as Promise<HooksModule>);
  if (s.status === 'restarting') {
    const ranMs = (Date.parse(s.finishedAt) - Date.parse(s.startedAt));
    const backoffMs = ranMs > 10_000 ? 100 : Math.min((s.restartBackoffMs ?? 100) * 2, 60_000);
    await writeFileAtomic(`${dir}/state.json`, JSON.stringify({ ...s, restartBackoffMs: backoffMs }), { durable: false });
    await sleep(backoffMs);
    if (!existsSync(`${dir}/record.json`)) return 0;
    if (existsSync(`${dir}/${STOP_REQUESTED}`)) {
      await writeFileAtomic(`${dir}/state.json`, JSON.stringify({ ...(await state(dir)), status: 'exited', manuallyStopped: true }), { durable: false });
      return 0;
    }
    try {
      await (await load()).restartAfterExit(dir);
    } catch (err) {
      const cur = await state(dir);
      await writeFileAtomic(`${dir}/state.json`, JSON.stringify({ ...cur, status: 'exited', exitCode: 128, error: err instanceof Error ? err.message : String(err), finishedAt: nowRfc3339() }), { durable: false });
    }
    return 0;
  }
  await rm(`${c.runDir}/pid`, { force: true });
  if (c.autoRemove && (process.argv[3] === '--removal-waited' ? !removalClaimed(dir) : !(await waitForRemovalClaim(dir)))) {
    await (await load()).onAutoRemove(dir);
  }
  return 0;
}

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: conmon-exit-main <container dir>');
process.exit(await main(dir));
