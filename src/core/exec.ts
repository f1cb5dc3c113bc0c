import type { SpawnOptions } from 'node:child_process';
import { CommandFailed, ToolMissing } from './errors.js';
import { requireBuiltin } from './extra-ca.js';

// node:child_process (with node:net and the stream machinery under it) loads on the first spawn, not at import:
// `berth --version` and other verbs that never spawn skip it.
const childProcess = (): typeof import('node:child_process') => requireBuiltin('node:child_process');

/** The one place that spawns processes, so argv handling and errors are uniform. */
export interface ExecOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: Uint8Array | string;
  /** Reject on a non-zero exit (default true). */
  readonly check?: boolean;
  readonly timeoutMs?: number;
  /** Debian package that provides argv[0], named in the error when it is missing. */
  readonly pkg?: string;
  readonly stdio?: SpawnOptions['stdio'];
}

export interface ExecResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new RangeError('exec() needs a command');
  return new Promise((resolve, reject) => {
    const child = childProcess().spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') {
        const pkg = options.pkg ?? cmd;
        reject(new ToolMissing(`Command ${JSON.stringify(cmd)} not found (install the Debian package ${JSON.stringify(pkg)})`, { tool: cmd, pkg }, { cause: e }));
      } else reject(e);
    });
    child.on('close', (exitCode, signal) => {
      const result: ExecResult = { exitCode, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
      if ((options.check ?? true) && exitCode !== 0) {
        const stderr = result.stderr.toString('utf8').trim();
        reject(
          new CommandFailed(
            `${argv.join(' ')} failed (${signal ?? `exit ${exitCode}`})${stderr ? `: ${stderr}` : ''}`,
            { argv, exitCode, stderr },
          ),
        );
      } else resolve(result);
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? undefined);
    }
  });
}

/** Path of an executable on PATH, or undefined. */
export async function which(cmd: string): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = `${dir}/${cmd}`;
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* try next */
    }
  }
  return undefined;
}
