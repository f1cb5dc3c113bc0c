/**
 * Test support for berthd end-to-end tests: a daemon process on a temp root, socket and bridge (random
 * suffixes so parallel runs do not collide), a busybox image built offline, and the real docker CLI
 * pointed at it. The daemon is a long-lived peer the tests start, SIGTERM, SIGKILL and restart by pid,
 * which exec() (run to completion) cannot do: hence child_process.spawn here, in test support only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exec, which } from '../core/index.js';
import { buildBusyboxImage, type BuiltImage } from '../image/index.js';

/** The daemon entry of this build (dist/daemon/bin.js beside this file). */
export const BERTHD = fileURLToPath(new URL('./bin.js', import.meta.url));

export async function needTools(t: TestContext, ...tools: string[]): Promise<boolean> {
  const missing: string[] = [];
  for (const tool of tools) if ((await which(tool)) === undefined) missing.push(tool);
  if (process.getuid?.() !== 0) missing.push('root');
  if (missing.length === 0) return true;
  const reason = `needs ${missing.join(', ')}`;
  if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error(`Required tool missing: ${reason}`);
  t.skip(reason);
  return false;
}

export interface DockerResult {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

export interface TestDaemon {
  readonly dir: string;
  readonly root: string;
  readonly socket: string;
  readonly bridge: string;
  readonly image: BuiltImage;
  /** "localhost/busybox-tiny:latest", loaded by `start()` unless told otherwise. */
  readonly imageRef: string;
  readonly env: NodeJS.ProcessEnv;
  pid(): number;
  /** Daemon stderr so far (JSON lines). */
  log(): string;
  docker(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<DockerResult>;
  /** docker …, failing the test on a non-zero exit; returns stdout. */
  ok(args: readonly string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Sends a signal and waits for the process to exit; returns its exit code. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  /** Starts the daemon process again on the same root. */
  restart(): Promise<void>;
}

async function waitForSocket(path: string, child: ChildProcess, out: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (let i = 0; i < 400 && Date.now() < deadline; i++) {
    if (child.exitCode !== null) throw new Error(`berthd exited with ${child.exitCode}: ${out().slice(-3000)}`);
    try {
      if ((await stat(path)).isSocket() && out().includes('berthd listening')) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`berthd did not listen on ${path}: ${out().slice(-3000)}`);
}

let imageCache: Promise<{ dir: string; image: BuiltImage }> | undefined;
/** The busybox test image, built once per test process. */
function testImage(): Promise<{ dir: string; image: BuiltImage }> {
  imageCache ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berthd-img-'));
    process.once('exit', () => void exec(['rm', '-rf', dir], { check: false }));
    return { dir, image: await buildBusyboxImage({ dir }) };
  })();
  return imageCache;
}

export async function startDaemon(
  t: TestContext | { after(fn: () => Promise<void>): void },
  options: { load?: boolean; daemonToml?: (dir: string) => Promise<string> } = {},
): Promise<TestDaemon> {
  // Short: the engine's per-container attach socket (RUNROOT/containers/<64 hex>/attach.sock) must fit
  // the 107 bytes of a Unix socket path.
  const dir = await mkdtemp(join(tmpdir(), 'bd-'));
  const suffix = randomBytes(3).toString('hex');
  const bridge = `bd${suffix}`;
  const subnet = `10.${150 + (Number.parseInt(suffix.slice(0, 2), 16) % 90)}.${Number.parseInt(suffix.slice(2, 4), 16)}.0/24`;
  const root = join(dir, 'root');
  const socket = join(dir, 'docker.sock');
  const config = join(dir, 'berth.toml');
  const extra = options.daemonToml !== undefined ? await options.daemonToml(dir) : '';
  await writeFile(config, `[daemon]\nlog_level = "debug"\n${extra}[engine]\nbridge = "${bridge}"\nsubnet = "${subnet}"\n`);
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'docker-config') };
  let child: ChildProcess;
  let output = '';
  const launch = async (): Promise<void> => {
    output = '';
    child = spawn(process.execPath, [BERTHD, '--root', root, '--run-root', join(dir, 'r'), '--docker-socket', socket, '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BERTH_TEST: '1' },
    });
    child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    if (process.env.BERTH_DAEMON_LOG !== undefined) {
      child.once('exit', (code, sig) => void writeFile(`${process.env.BERTH_DAEMON_LOG}.${child.pid}`, `${output}\nexit ${code} ${sig}\n`));
    }
    await waitForSocket(socket, child, () => output);
  };
  await launch();
  const docker = async (args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): Promise<DockerResult> => {
    const r = await exec(['docker', ...args], { check: false, env, timeoutMs: o.timeoutMs ?? 60_000, ...(o.input !== undefined ? { input: o.input } : {}) });
    return { code: r.exitCode, out: r.stdout.toString('utf8'), err: r.stderr.toString('utf8') };
  };
  const kill = async (signal: NodeJS.Signals): Promise<number | null> => {
    const c = child;
    if (c.exitCode !== null || c.signalCode !== null) return c.exitCode;
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const { image } = await testImage();
  const d: TestDaemon = {
    dir, root, socket, bridge, image, imageRef: image.tag, env,
    pid: () => child.pid ?? 0,
    log: () => output,
    docker,
    async ok(args, o) {
      const r = await docker(args, o);
      if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.err}${r.out}`);
      return r.out;
    },
    kill,
    restart: launch,
  };
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const ids = (await docker(['ps', '-aq'])).out.split('\n').filter(Boolean);
      if (ids.length > 0) await docker(['rm', '-f', ...ids]);
    }
    await kill('SIGTERM');
    // Anything left (a test that killed the daemon mid-way): force-remove through a fresh daemon is not
    // possible without one, so tear down by hand: monitors and containers of this root, mounts, bridge.
    await exec(['sh', '-c', `for p in $(grep -l '${dir}' /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do kill -9 $p 2>/dev/null; done`], { check: false });
    await exec(['sh', '-c', `grep -F '${dir}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l`], { check: false });
    await exec(['ip', 'link', 'del', 'dev', bridge], { check: false });
    await rm(dir, { recursive: true, force: true });
  });
  if (options.load !== false) await d.ok(['load', '-i', image.dockerArchive]);
  return d;
}

/**
 * For a describe() block: starts one berthd before its tests and runs `cleanups` after them, last first.
 * Needs root and the docker CLI: without them `onStart` is never called (tests skip), and under
 * BERTH_REQUIRE_TOOLS=1 (CI) the suite fails instead.
 */
export function daemonPerSuite(cleanups: Array<() => Promise<void>>, onStart: (daemon: TestDaemon) => void): void {
  before(async () => {
    if (process.getuid?.() !== 0 || (await which('docker')) === undefined) {
      if (process.env.BERTH_REQUIRE_TOOLS === '1') throw new Error('Required: root and the docker CLI');
      return;
    }
    onStart(await startDaemon({ after: (fn: () => Promise<void>) => void cleanups.push(fn) }));
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
}
