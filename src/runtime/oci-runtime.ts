/**
 * The only place that knows crun's and runc's command lines.
 *
 * crun 1.8.1 refuses hybrid cgroup hosts (v1 controllers plus a v2 mount whose cgroup.controllers is not
 * empty, here `hugetlb`), even with --cgroup-manager=disabled. Without touching the host we run every crun
 * command inside a private mount namespace (`unshare -m`, private propagation) where /dev/null is bound over
 * that one file; crun then sees a pure v1 host. If that wrapper cannot be set up, we fall back to runc and
 * say so through `onNote`.
 *
 * crun 1.8.1 only refuses that layout when it sets a container up (create, run, exec joining the cgroups):
 * `state`, `kill` and `delete --force` of a container it made through the wrapper work on the host as it is
 * (delete still removes the container's cgroups in every v1 hierarchy; checked on this host). Those three go
 * without the wrapper (directArgv): one process instead of four (unshare, sh, mount, crun) per call.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, unlink, writeFile } from 'node:fs/promises';
import { exec, which } from '../core/index.js';
import { RuntimeFailed, RuntimeUnavailable } from './errors.js';

export type RuntimeName = 'crun' | 'runc';

export const HYBRID_CONTROLLERS_FILE = '/sys/fs/cgroup/unified/cgroup.controllers';

export interface RuntimeCommand {
  readonly name: RuntimeName;
  /** Absolute path of the runtime binary. */
  readonly binary: string;
  /** argv prefix to put before the runtime's own arguments (the hybrid-cgroup wrapper for crun). */
  readonly wrapper: readonly string[];
  /** --root: the runtime's state directory. */
  readonly stateRoot: string;
}

/** True when the host is cgroup-hybrid in the way crun 1.8 refuses (v2 mount with controllers). */
export async function isHybridCgroupHost(): Promise<boolean> {
  try {
    return (await readFile(HYBRID_CONTROLLERS_FILE, 'utf8')).trim() !== '';
  } catch {
    return false;
  }
}

export function hybridWrapper(): string[] {
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount --bind /dev/null ${HYBRID_CONTROLLERS_FILE} && exec "$@"`, 'sh'];
}

const resolved = new Map<string, Promise<RuntimeCommand>>();

/**
 * Find the runtime to use for `wanted`. crun on a hybrid host gets the wrapper (probed once); when the
 * probe fails, runc is used instead and a note explains why.
 */
export function resolveRuntime(wanted: RuntimeName, stateBase: string, onNote: (note: string) => void = () => undefined): Promise<RuntimeCommand> {
  const key = `${wanted}\0${stateBase}`;
  let p = resolved.get(key);
  if (p === undefined) {
    p = doResolve(wanted, stateBase, onNote);
    resolved.set(key, p);
    p.catch(() => resolved.delete(key));
  }
  return p;
}

async function doResolve(wanted: RuntimeName, stateBase: string, onNote: (note: string) => void): Promise<RuntimeCommand> {
  const binary = await which(wanted);
  if (binary === undefined) {
    if (wanted === 'crun') {
      onNote('crun is not installed; using runc');
      return doResolve('runc', stateBase, onNote);
    }
    throw new RuntimeUnavailable(`OCI runtime ${JSON.stringify(wanted)} is not installed (Debian package ${JSON.stringify(wanted)})`, { runtime: wanted, reason: 'missing' });
  }
  const stateRoot = `${stateBase}/${wanted}`;
  if (wanted === 'crun' && (await isHybridCgroupHost())) {
    const wrapper = hybridWrapper();
    // The probe costs two processes; its success is remembered per boot under the runtime state dir.
    const marker = `${stateBase}/crun-hybrid-wrapper-ok`;
    if (await readFile(marker).then(() => true, () => false)) return { name: 'crun', binary, wrapper, stateRoot };
    const probe = await exec([...wrapper, binary, '--version'], { check: false }).catch((e: unknown) => ({ exitCode: -1, stderr: Buffer.from(String(e)) }));
    if (probe.exitCode !== 0) {
      const reason = probe.stderr.toString().trim();
      onNote(`crun refuses this hybrid cgroup host and the private-mount-namespace workaround failed (${reason}); falling back to runc`);
      return doResolve('runc', stateBase, onNote);
    }
    await mkdir(stateBase, { recursive: true });
    await writeFile(marker, '');
    return { name: 'crun', binary, wrapper, stateRoot };
  }
  return { name: wanted, binary, wrapper: [], stateRoot };
}

/** Full argv for a runtime subcommand. */
export function runtimeArgv(rt: RuntimeCommand, ...args: string[]): string[] {
  return [...rt.wrapper, rt.binary, '--root', rt.stateRoot, ...args];
}

/** argv for `state`, `kill`, `delete`: the runtime itself, never the hybrid-cgroup wrapper (see above). */
export function directArgv(rt: RuntimeCommand, ...args: string[]): string[] {
  return [rt.binary, '--root', rt.stateRoot, ...args];
}

async function run(rt: RuntimeCommand, args: string[], check = true): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const direct = args[0] === 'state' || args[0] === 'kill' || args[0] === 'delete';
  const argv = direct ? directArgv(rt, ...args) : runtimeArgv(rt, ...args);
  const r = await exec(argv, { check: false, pkg: rt.name });
  const out = { exitCode: r.exitCode, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8').trim() };
  if (check && r.exitCode !== 0) {
    throw new RuntimeFailed(`${rt.name} ${args[0] ?? ''} failed: ${out.stderr || `exit ${r.exitCode}`}`, { runtime: rt.name, argv, stderr: out.stderr });
  }
  return out;
}

export interface RuntimeState {
  readonly id: string;
  readonly pid: number;
  readonly status: string; // creating | created | running | stopped | paused
}

export async function runtimeState(rt: RuntimeCommand, id: string): Promise<RuntimeState | undefined> {
  const r = await run(rt, ['state', id], false);
  if (r.exitCode !== 0) return undefined;
  const s = JSON.parse(r.stdout) as { id: string; pid: number; status: string };
  return { id: s.id, pid: s.pid, status: s.status };
}

export async function runtimeKill(rt: RuntimeCommand, id: string, signal: string, all = false): Promise<void> {
  await run(rt, ['kill', ...(all ? ['--all'] : []), id, signal]);
}

export async function runtimeDelete(rt: RuntimeCommand, id: string): Promise<void> {
  const r = await run(rt, ['delete', '--force', id], false);
  if (r.exitCode !== 0 && !/does not exist|not found|no such/i.test(r.stderr)) {
    throw new RuntimeFailed(`${rt.name} delete failed: ${r.stderr}`, { runtime: rt.name, argv: ['delete', id], stderr: r.stderr });
  }
}

/**
 * `start` of a created container. crun 1.8.1's start (src/libcrun/container.c, libcrun_container_start, and
 * status.c, libcrun_status_write_exec_fifo) checks the process, then, for a spec without poststart hooks
 * and without a notify socket (berth's), only opens `<state root>/<id>/exec.fifo` for writing, unlinks it
 * and writes one byte, which lets the container's init exec the process: done here, without a process.
 * The open is non-blocking: with nobody reading (the init is gone) it fails with ENXIO instead of hanging,
 * and crun's own `start` then runs and reports the error. runc's protocol is the reverse (its init writes
 * the fifo, `runc start` reads it): runc always gets its own `start`.
 */
export async function runtimeStart(rt: RuntimeCommand, id: string): Promise<{ exitCode: number | null; stderr: string }> {
  if (rt.name === 'crun') {
    const fifo = `${rt.stateRoot}/${id}/exec.fifo`;
    const fh = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
    if (fh !== undefined) {
      try {
        await unlink(fifo);
        await fh.write(Buffer.alloc(1));
        return { exitCode: 0, stderr: '' };
      } catch {
        /* crun's start below reports what is wrong */
      } finally {
        await fh.close();
      }
    }
  }
  const r = await exec(directArgv(rt, 'start', id), { check: false, pkg: rt.name });
  return { exitCode: r.exitCode, stderr: r.stderr.toString('utf8').trim() };
}

export async function runtimePs(rt: RuntimeCommand, id: string): Promise<number[]> {
  const r = await run(rt, ['ps', '--format', 'json', id]);
  return JSON.parse(r.stdout || '[]') as number[];
}

/**
 * argv for a foreground `run` (the monitor spawns it and stays its parent). With `consoleSocket` the runtime
 * sends the container's pty master there (see console.ts) instead of copying the terminal itself.
 */
export function runArgv(rt: RuntimeCommand, id: string, bundle: string, pidFile: string, consoleSocket?: string): string[] {
  return runtimeArgv(rt, 'run', ...consoleArgs(consoleSocket), '--bundle', bundle, '--pid-file', pidFile, id);
}

/** argv for `exec` with a process.json (`consoleSocket` as for runArgv). */
export function execArgv(rt: RuntimeCommand, id: string, processJson: string, pidFile: string, consoleSocket?: string): string[] {
  return runtimeArgv(rt, 'exec', ...consoleArgs(consoleSocket), '--process', processJson, '--pid-file', pidFile, id);
}

function consoleArgs(consoleSocket: string | undefined): string[] {
  return consoleSocket === undefined ? [] : ['--console-socket', consoleSocket];
}
