/**
 * conmon as the per-container monitor (podman's, Debian package "conmon"): a ~0.5 MiB C process instead of a
 * ~14 MiB Node one. conmon runs `RUNTIME create`, reports the container pid over its sync pipe, then (after
 * the engine ran `RUNTIME start`) copies the container's stdio to a k8s-file log and to attach clients on a
 * SOCK_SEQPACKET socket, reaps the container, writes an exit file (`--exit-dir`) and runs an exit command:
 * our conmon-exit-main.ts, a short-lived process that records the exit and applies the restart policy.
 *
 * Facts from conmon 2.1.6's source (src/conmon.c, conn_sock.c, ctr_logging.c):
 * - the process we spawn forks; the child (setsid, subreaper) is the monitor and the parent writes its pid
 *   to `--conmon-pidfile`, then exits. The sync pipe (`_OCI_SYNCPIPE`) gets `{"data": PID}\n` after a
 *   successful create, `{"data": -1, "message": "…"}\n` after a failed one.
 * - attach socket (`--full-attach`: `BUNDLE/attach`): output packets are `[stream id][bytes]`, 2 = stdout,
 *   3 = stderr; input packets are raw stdin bytes (at most 32767 bytes each). A client's EOF closes the
 *   container's stdin unless `--leave-stdin-open`, and the client keeps receiving output. At the exit conmon
 *   drains the container's output, then closes every attach connection.
 * - the exit file `EXIT_DIR/ID` holds the exit code (128+N after signal N), written by rename; the exit
 *   command runs after it, and conmon waits for the exit command before it exits itself.
 * - after the container exits conmon fsyncs its log file unless `--no-sync-log` (src/conmon.c, sync_logs),
 *   before it writes the exit file: we pass it, as docker's json-file logger never syncs either, so the
 *   exit is not held up behind the host filesystem's other writes (a host crash may lose a log's tail).
 * - k8s-file lines: `2026-11-27T12:00:00.123456789+00:00 stdout F text\n` (F: the text ends a line, its
 *   newline is the line's own) or `… P text\n` (P: a fragment; the newline was added).
 *
 * Node's net module cannot open a SOCK_SEQPACKET socket: attach sessions go through a tiny perl relay
 * (perl is Essential in Debian; its Socket module has SOCK_SEQPACKET) that frames the packets for us.
 * Spawned with child_process directly (not core/exec): conmon and the relay are long-lived and streamed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { which } from '../core/index.js';
import type { RuntimeCommand } from './oci-runtime.js';
import { formatNanoTime, type JsonLogEntry, type LogDecoder, type LogStream } from './json-log.js';
import type { ProxySpec } from './port-proxy.js';
import { readReportLine } from './report-line.js';

export type MonitorKind = 'node' | 'conmon';

// Files and tokens of the shell exit command (EXIT_SCRIPT below); the claim and done names are those of
// conmon-exit.ts (EXIT_CLAIM, EXIT_DONE), repeated here because that module imports this one.
const EXIT_CLAIM_FILE = 'exit-claimed';
const EXIT_DONE_FILE = 'exit-done';
const RUNNING_STATE = 'running-state.json';
const EXITED_STATE = 'exited-state.json';
const DIE_EVENT = 'die-event.json';
const CODE_TOKEN = '@EXITCODE@';
const CODE_NUMBER_TOKEN = '-3330333';
const TIME_TOKEN = '-1110111';
const TIME_NANO_TOKEN = '-2220222';
const FINISHED_TOKEN = '@FINISHED@';

let conmonPath: Promise<string | undefined> | undefined;
/** Absolute path of conmon, or undefined when it is not installed. */
export function findConmon(): Promise<string | undefined> {
  return (conmonPath ??= which('conmon'));
}

/**
 * What conmon runs as its `-r` runtime, and the `--runtime-arg`s it puts before the runtime's own arguments
 * (conmon: runtime path, runtime args, then `create --bundle …`). crun on a hybrid cgroup host needs the
 * private mount namespace wrapper (oci-runtime.ts): conmon runs `unshare` itself, with the wrapper's
 * arguments and crun's path as runtime args (no script in between: one process fewer per create).
 */
/** The wrapper's program by name, looked up in PATH once per process. */
const wrapperPaths = new Map<string, Promise<string | undefined>>();

export async function conmonRuntime(rt: RuntimeCommand): Promise<{ path: string; args: string[] }> {
  const root = ['--root', rt.stateRoot];
  if (rt.wrapper.length === 0) return { path: rt.binary, args: root };
  const [program = '', ...rest] = rt.wrapper;
  const path = program.startsWith('/') ? program : await (wrapperPaths.get(program) ?? wrapperPaths.set(program, which(program)).get(program));
  if (path === undefined) throw new Error(`${program} is not installed`);
  return { path, args: [...rest, rt.binary, ...root] };
}

/** Script writes in progress in this process, by path and text (concurrent starts share one). */
const scripts = new Map<string, Promise<string>>();

/**
 * Writes an executable script once (rename into place: a running conmon never sees half of it). The temp
 * name is unique per call: two starts in one process no longer rename each other's temp file away.
 */
function ensureScript(path: string, text: string): Promise<string> {
  const key = `${path}\0${text}`;
  let p = scripts.get(key);
  if (p === undefined) {
    p = (async () => {
      if ((await readFile(path, 'utf8').catch(() => '')) !== text) {
        await mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
        const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
        await writeFile(tmp, text);
        await chmod(tmp, 0o755);
        await rename(tmp, path);
      }
      return path;
    })();
    scripts.set(key, p);
    const forget = () => scripts.delete(key); // checked again at the next start (it may have been removed)
    p.then(forget, forget);
  }
  return p;
}

/**
 * The exit command of a container with no restart policy and no published ports: a shell script instead of
 * a Node process (~0.02 s of CPU instead of ~0.2 s). It does what recordConmonExit (conmon-exit.ts) does,
 * from templates the engine wrote at the start: the claim, the die event, the exited state (only if
 * state.json is still the one written at this start), then deletes the runtime's container (unless a
 * removal has claimed the container: the remover deletes it) and marks the exit handled. For --rm it gives a foreground client (berth run --rm, the API's wait) half a second to
 * remove the container, and only then hands over to the Node exit command (conmon-exit-main.ts), which
 * removes it through the engine.
 * Everything but one `date` (the exit file's time), the `mv` that replaces state.json and the runtime's
 * `delete` is a dash builtin: the templates are filled in with parameter expansion (the first occurrence of
 * each token, as `sed s///` did), the files compared and read with `read` (state.json and the templates are
 * single-line JSON). The die event carries the exit file's time (when conmon saw the exit).
 * argv: <container dir> <run dir> <id> <events file> <auto-remove 0|1> <runtime argv prefix…>
 */
const EXIT_SCRIPT_TEMPLATE = `#!/bin/sh
# berth: conmon exit command, see src/runtime/conmon.ts (exitScript)
d=$1 r=$2 id=$3 events=$4 autorm=$5
shift 5
[ -f "$d/record.json" ] || exit 0
code= cur= want=
{ read -r code < "$r/$id"; } 2>/dev/null
[ -n "$code" ] || exit 0
{ read -r cur < "$d/state.json"; read -r want < "$r/${RUNNING_STATE}"; } 2>/dev/null
claimed=false
if [ -n "$cur" ] && [ "$cur" = "$want" ]; then
  set -C
  { echo $$ > "$r/${EXIT_CLAIM_FILE}"; } 2>/dev/null && claimed=true
  set +C
fi
if $claimed; then
  t=$(date -u -r "$r/$id" '+%Y-%m-%dT%H:%M:%S.%NZ %s%N')
  fin=\${t% *} now=\${t#* }
  ms=false
  [ -e "$d/stop-requested" ] && ms=true
  oom=false
  [ -e "$d/bundle/oom" ] && oom=true
  die= st=
  { read -r die < "$r/${DIE_EVENT}"; read -r st < "$r/${EXITED_STATE}"; } 2>/dev/null
  die=\${die%%${CODE_TOKEN}*}$code\${die#*${CODE_TOKEN}}
  die=\${die%%${TIME_TOKEN}*}\${now%?????????}\${die#*${TIME_TOKEN}}
  die=\${die%%${TIME_NANO_TOKEN}*}$now\${die#*${TIME_NANO_TOKEN}}
  st=\${st%%${CODE_NUMBER_TOKEN}*}$code\${st#*${CODE_NUMBER_TOKEN}}
  st=\${st%%${FINISHED_TOKEN}*}$fin\${st#*${FINISHED_TOKEN}}
  case $st in *'"manuallyStopped":false'*) st=\${st%%'"manuallyStopped":false'*}'"manuallyStopped":'$ms\${st#*'"manuallyStopped":false'} ;; esac
  case $st in *'"oomKilled":false'*) st=\${st%%'"oomKilled":false'*}'"oomKilled":'$oom\${st#*'"oomKilled":false'} ;; esac
  printf '%s\\n' "$die" >> "$events"
  printf '%s\\n' "$st" > "$d/state.json.tmp-$$" && mv -f "$d/state.json.tmp-$$" "$d/state.json"
fi
# A removal in progress (the engine's claim) deletes the runtime's container itself.
[ -e "$d/removing" ] || "$@" delete --force "$id" >/dev/null 2>&1
: > "$r/${EXIT_DONE_FILE}" 2>/dev/null
[ "$autorm" = 1 ] || exit 0
i=0
while [ $i -lt 20 ]; do
  { [ -f "$d/record.json" ] && [ ! -e "$d/removing" ]; } || exit 0
  sleep 0.025
  i=$((i + 1))
done
exec @NODE_EXIT@ "$d" --removal-waited
`;

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}


/** Writes the shell exit command under `stateBase` (once) and returns its path. `nodeExit`: the Node exit command's argv. */
export function exitScript(stateBase: string, nodeExit: readonly string[]): Promise<string> {
  return ensureScript(`${stateBase}/conmon-exit.sh`, EXIT_SCRIPT_TEMPLATE.replace('@NODE_EXIT@', nodeExit.map(shellQuote).join(' ')));
}

/**
 * The templates the shell exit command fills in: the state as written at this start (`running`), the same
 * state once exited, and the die event. Written before the start (so before any exit).
 */
export async function writeExitTemplates(runDir: string, running: object, exited: object, die: { type: string; action: string; id: string; attributes: Record<string, string> }): Promise<void> {
  const exitedJson = JSON.stringify({ ...exited, exitCode: Number(CODE_NUMBER_TOKEN), finishedAt: FINISHED_TOKEN, manuallyStopped: false, oomKilled: false });
  const dieJson = JSON.stringify({ ...die, attributes: { ...die.attributes, exitCode: CODE_TOKEN }, time: Number(TIME_TOKEN), timeNano: Number(TIME_NANO_TOKEN) });
  await Promise.all([
    writeFile(`${runDir}/${RUNNING_STATE}`, JSON.stringify(running)),
    writeFile(`${runDir}/${EXITED_STATE}`, `${exitedJson}\n`),
    writeFile(`${runDir}/${DIE_EVENT}`, `${dieJson}\n`),
  ]);
}

export interface ConmonOptions {
  readonly conmon: string;
  readonly id: string;
  readonly name: string;
  readonly runtime: RuntimeCommand;
  readonly bundle: string;
  /** Volatile per-container directory: pid files, the exit file. */
  readonly runDir: string;
  readonly logPath: string;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  /** argv of the exit command (absolute program path first). */
  readonly exitCommand: readonly string[];
  /** Where conmon's own diagnostics go (an open fd), e.g. the container's monitor.log. */
  readonly logFd: number;
}

export const CONMON_PID_FILE = 'monitor.pid';

/**
 * conmon 2.1.6 (src/cgroup.c, write_oom_files) creates an empty `oom` file in its working directory (the
 * bundle, where we start it) when the container's memory cgroup reports an OOM kill (cgroup v1: an eventfd
 * on memory.oom_control; v2: memory.events), before it writes the exit file. Removed before every start.
 */
export function oomFilePath(bundle: string): string {
  return `${bundle}/oom`;
}

export function exitFilePath(runDir: string, id: string): string {
  return `${runDir}/${id}`;
}

/** Exit code and time of the container's last exit, from conmon's exit file (undefined: none). */
export async function readExitFile(runDir: string, id: string): Promise<{ code: number; finishedNs: bigint } | undefined> {
  const path = exitFilePath(runDir, id);
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path, { bigint: true })]);
    const code = Number.parseInt(text.trim(), 10);
    return { code: Number.isFinite(code) && code >= 0 ? code : 255, finishedNs: st.mtimeNs };
  } catch {
    return undefined;
  }
}

export async function conmonArgv(o: ConmonOptions): Promise<string[]> {
  const runtime = await conmonRuntime(o.runtime);
  const [exitProgram, ...exitArgs] = o.exitCommand;
  return [
    o.conmon, '--api-version', '1', '-c', o.id, '-u', o.id, '-n', o.name, '-r', runtime.path, '-b', o.bundle,
    '-p', `${o.runDir}/pid`, '-P', `${o.runDir}/${CONMON_PID_FILE}`, '-l', `k8s-file:${o.logPath}`,
    '--exit-dir', o.runDir, '--full-attach', '--socket-dir-path', o.runDir, '--log-level', 'error', '--no-sync-log',
    ...runtime.args.flatMap((a) => ['--runtime-arg', a]),
    ...(o.tty ? ['-t'] : []), ...(o.openStdin ? ['-i'] : []), ...(o.openStdin && !o.stdinOnce ? ['--leave-stdin-open'] : []),
    '--exit-command', exitProgram!, ...exitArgs.flatMap((a) => ['--exit-command-arg', a]),
  ];
}

/**
 * Starts conmon, which creates the container (not started yet). Resolves with the container's pid and
 * conmon's, or with the runtime's error.
 */
export async function spawnConmon(o: ConmonOptions, env: NodeJS.ProcessEnv): Promise<{ pid: number; monitorPid: number } | { error: string }> {
  const argv = await conmonArgv(o);
  await mkdir(o.runDir, { recursive: true });
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['ignore', o.logFd, o.logFd, 'pipe'],
    cwd: o.bundle,
    env: { ...env, _OCI_SYNCPIPE: '3' },
  });
  const pipe = child.stdio[3] as Readable;
  const firstExit = new Promise<number>((resolve) => {
    child.on('exit', (code) => resolve(code ?? 255));
    child.on('error', () => resolve(127));
  });
  const line = await readReportLine(pipe, {
    timeoutMs: 60_000,
    timedOut: '{"data": -1, "message": "conmon did not report within 60 s"}',
    closedEarly: '{"data": -1, "message": "conmon exited before reporting"}',
  });
  child.unref();
  let msg: { data?: number; message?: string };
  try {
    msg = JSON.parse(line) as { data?: number; message?: string };
  } catch {
    return { error: `conmon: ${line}` };
  }
  if (typeof msg.data !== 'number' || msg.data <= 0) return { error: (msg.message ?? `conmon reported ${line}`).trim() };
  await firstExit; // the pid file is written before conmon's first process exits
  const monitorPid = Number.parseInt(await readFile(`${o.runDir}/${CONMON_PID_FILE}`, 'utf8').catch(() => ''), 10) || 0;
  return { pid: msg.data, monitorPid };
}

// ---- port proxy -----------------------------------------------------------------------------------

const PROXY_MAIN = fileURLToPath(new URL('./proxy-main.js', import.meta.url));

/**
 * Starts the userland proxy process of a container that publishes ports (proxy-main.ts), detached so that
 * it outlives the engine. Resolves once it listens, with the ports it bound.
 */
export async function spawnPortProxy(specs: readonly ProxySpec[], conmonPidFile: string, env: NodeJS.ProcessEnv, nodeFlags: readonly string[]): Promise<{ pid: number; ports: ProxySpec[] } | { error: string }> {
  const child = spawn(process.execPath, [...nodeFlags, PROXY_MAIN, JSON.stringify(specs), conmonPidFile], {
    detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'], cwd: '/', env,
  });
  const pipe = child.stdio[3] as Readable;
  const line = await readReportLine(pipe, {
    timeoutMs: 60_000,
    timedOut: '{"error":"the port proxy did not report within 60 s"}',
    closedEarly: '{"error":"the port proxy exited before reporting"}',
  });
  child.unref();
  const msg = JSON.parse(line) as { ports?: ProxySpec[]; error?: string };
  if (msg.ports === undefined) {
    if (child.pid) process.kill(child.pid, 'SIGKILL');
    return { error: msg.error ?? 'port proxy failed' };
  }
  return { pid: child.pid ?? 0, ports: msg.ports };
}

// ---- k8s-file -------------------------------------------------------------------------------------

const K8S_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) (stdout|stderr) ([PF]) /;

/** One k8s-file line: time (epoch ns), stream, whether it ends a line, and the text (newline excluded). */
export function decodeK8sLine(line: Buffer): { timeNs: bigint; stream: LogStream; full: boolean; text: Buffer } | undefined {
  const head = line.subarray(0, 64).toString('latin1');
  const m = K8S_LINE.exec(head);
  if (m === null) return undefined;
  const secMs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secMs)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return { timeNs: BigInt(secMs) * 1_000_000n + frac, stream: m[4] as LogStream, full: m[5] === 'F', text: line.subarray(m[0].length) };
}

/**
 * Turns k8s-file lines into json-file-like entries: a full line carries its newline again, and P fragments
 * are joined to the line they belong to (conmon cuts wherever a read ended; docker only at 16 KiB), with the
 * time of the first fragment. A fragment with nothing after it (output without a final newline) comes out
 * at `flush()`.
 */
export class K8sLogDecoder implements LogDecoder {
  readonly #pending = new Map<LogStream, { timeNs: bigint; parts: Buffer[] }>();

  line(raw: Buffer): JsonLogEntry | undefined {
    const d = decodeK8sLine(raw);
    if (d === undefined) return undefined;
    const p = this.#pending.get(d.stream);
    if (!d.full) {
      if (p) p.parts.push(d.text);
      else this.#pending.set(d.stream, { timeNs: d.timeNs, parts: [Buffer.from(d.text)] });
      return undefined;
    }
    this.#pending.delete(d.stream);
    const parts = p ? [...p.parts, d.text, NL] : [d.text, NL];
    return { stream: d.stream, time: formatNanoTime(p?.timeNs ?? d.timeNs), log: Buffer.concat(parts) };
  }

  flush(): JsonLogEntry[] {
    const out = [...this.#pending.entries()].map(([stream, p]) => ({ stream, time: formatNanoTime(p.timeNs), log: Buffer.concat(p.parts) }));
    this.#pending.clear();
    return out.sort((a, b) => a.time.localeCompare(b.time));
  }
}

const NL = Buffer.from('\n');

// ---- attach relay ---------------------------------------------------------------------------------

/**
 * perl: wait for a "go" line on stdin (so that it can be started before conmon's socket exists: its boot
 * overlaps the container's creation), connect to BUNDLE/attach (relative, so any path length works), write
 * "R", then copy packets out as [stream id][uint32 BE length][bytes] and (when asked) stdin in, as packets of
 * at most 8 KiB. With half-close, stdin's end is passed on as shutdown(SHUT_WR), which makes conmon close
 * the container's stdin. A line other than "go" (or EOF) before connecting: exit without connecting.
 */
const RELAY = String.raw`
use strict; use warnings; use Socket;
my ($dir, $want_in, $half) = @ARGV;
$SIG{PIPE} = 'IGNORE';
my $line = '';
while (1) { my $c; my $r = sysread(STDIN, $c, 1); exit 0 if !$r; last if $c eq "
"; $line .= $c; exit 0 if length($line) > 8; }
exit 0 if $line ne 'go';
chdir $dir or exit 2;
socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or exit 3;
connect($s, pack_sockaddr_un('attach')) or exit 4;
syswrite(STDOUT, 'R') or exit 5;
my $in = $want_in ? 1 : 0;
while (1) {
  my $rin = '';
  vec($rin, fileno($s), 1) = 1;
  vec($rin, 0, 1) = 1 if $in;
  my $n = select(my $rout = $rin, undef, undef, undef);
  next if $n < 0;
  if ($in && vec($rout, 0, 1)) {
    my $r = sysread(STDIN, my $buf, 8192);
    if (!$r) { $in = 0; shutdown($s, 1) if $half; }
    else { defined(send($s, $buf, 0)) or $in = 0; }
  }
  if (vec($rout, fileno($s), 1)) {
    my $ok = recv($s, my $pkt, 65536, 0);
    last if !defined($ok) || length($pkt) == 0;
    my $w = pack('CN', ord($pkt), length($pkt) - 1) . substr($pkt, 1);
    while (length $w) { my $c = syswrite(STDOUT, $w); exit 0 if !defined $c; substr($w, 0, $c) = ''; }
  }
}
`;

export interface ConmonAttach {
  /** Output in order, as (stream, bytes). Ends when conmon closes the session (the container exited). */
  onData(fn: (stream: LogStream, data: Buffer) => void): void;
  /** Resolves when the session ended (conmon closed it, or close()). */
  readonly done: Promise<void>;
  /** Container stdin (when asked for); end() passes the end of input on when half-closing. */
  readonly stdin: Writable | null;
  close(): void;
}

export interface PendingConmonAttach {
  /** Connects (conmon's socket must exist by now). Resolves with the session, or undefined when it could not. */
  connect(): Promise<ConmonAttach | undefined>;
  /** Gives up without connecting. */
  cancel(): void;
}

/**
 * Starts an attach relay for conmon's socket in `bundle`, not connected yet (see RELAY): connect() once
 * conmon runs. Starting it early takes perl's boot off the path between the container's creation and its
 * start.
 */
export function prepareConmonAttach(bundle: string, options: { stdin: boolean; halfClose: boolean }): PendingConmonAttach {
  const shared = options.stdin ? undefined : outputRelay();
  if (shared !== undefined) return prepareSharedAttach(shared, bundle);
  const child = spawn('perl', ['-e', RELAY, bundle, options.stdin ? '1' : '0', options.halfClose ? '1' : '0'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const stdin = child.stdin!;
  stdin.on('error', () => undefined);
  const out = child.stdout!;
  let listener: ((stream: LogStream, data: Buffer) => void) | undefined;
  const queued: Array<[LogStream, Buffer]> = [];
  let buf: Buffer = Buffer.alloc(0);
  let ready = false;
  let resolveReady!: (ok: boolean) => void;
  const readyP = new Promise<boolean>((r) => (resolveReady = r));
  const done = new Promise<void>((resolve) => {
    child.on('close', () => {
      resolveReady(false);
      resolve();
    });
    child.on('error', () => {
      resolveReady(false);
      resolve();
    });
  });
  out.on('data', (d: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    if (!ready) {
      ready = true;
      buf = buf.subarray(1);
      resolveReady(true);
    }
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      const stream: LogStream = buf[0] === 3 ? 'stderr' : 'stdout';
      const payload = Buffer.from(buf.subarray(5, 5 + len));
      buf = buf.subarray(5 + len);
      if (listener) listener(stream, payload);
      else queued.push([stream, payload]);
    }
  });
  return {
    async connect() {
      stdin.write('go\n');
      if (!(await readyP)) {
        child.kill('SIGKILL');
        return undefined;
      }
      return {
        onData(fn) {
          listener = fn;
          for (const [s, b] of queued.splice(0)) fn(s, b);
        },
        done,
        stdin: options.stdin ? stdin : null,
        close() {
          child.kill('SIGKILL');
        },
      };
    },
    cancel() {
      child.kill('SIGKILL');
    },
  };
}

// ---- shared output relay ---------------------------------------------------------------------------

/**
 * One perl process per engine process relays every attach session that sends no stdin (`docker run`
 * without -i, `docker attach` without stdin): no process per session. Frames both ways are
 * [type u8][session u32 BE][length u32 BE][payload]. To the relay: 1 open (payload: the bundle dir; it
 * connects to DIR/attach from inside DIR, so any path length works), 4 close. From it: 2 connected,
 * 3 could not connect, 5 ended (conmon closed the session), 6 a packet ([stream id][bytes]). It only ever
 * reads the sessions' sockets, so no session can hold up another; select() bounds it to FD_SETSIZE, so
 * past SHARED_RELAY_MAX sessions the per-session relay is used.
 */
const SHARED_RELAY = String.raw`
use strict; use warnings; use Socket;
$SIG{PIPE} = 'IGNORE';
binmode STDIN; binmode STDOUT;
my %sock; my $buf = '';
sub out { my ($t, $sid, $d) = @_; my $w = pack('CNN', $t, $sid, length $d) . $d;
  while (length $w) { my $c = syswrite(STDOUT, $w); exit 0 if !defined $c; substr($w, 0, $c) = ''; } }
while (1) {
  my $rin = '';
  vec($rin, 0, 1) = 1;
  vec($rin, fileno($sock{$_}), 1) = 1 for keys %sock;
  my $n = select(my $rout = $rin, undef, undef, undef);
  next if $n < 0;
  if (vec($rout, 0, 1)) {
    my $r = sysread(STDIN, $buf, 65536, length $buf);
    exit 0 if !$r;
    while (length($buf) >= 9) {
      my ($t, $sid, $len) = unpack('CNN', $buf);
      last if length($buf) < 9 + $len;
      my $p = substr($buf, 9, $len);
      substr($buf, 0, 9 + $len) = '';
      if ($t == 1) {
        my $s;
        if (chdir($p) && socket($s, AF_UNIX, SOCK_SEQPACKET, 0) && connect($s, pack_sockaddr_un('attach'))) { $sock{$sid} = $s; out(2, $sid, ''); }
        else { out(3, $sid, ''); }
        chdir('/');
      } elsif ($t == 4) {
        my $s = delete $sock{$sid};
        close($s) if $s;
      }
    }
  }
  for my $sid (keys %sock) {
    my $s = $sock{$sid};
    next unless vec($rout, fileno($s), 1);
    my $ok = recv($s, my $pkt, 65536, 0);
    if (!defined($ok) || length($pkt) == 0) { delete $sock{$sid}; close($s); out(5, $sid, ''); }
    else { out(6, $sid, $pkt); }
  }
}
`;

const SHARED_RELAY_MAX = 900;

interface RelaySession {
  connected(ok: boolean): void;
  packet(stream: LogStream, data: Buffer): void;
  ended(): void;
}

class SharedRelay {
  readonly #child: ChildProcess;
  readonly #sessions = new Map<number, RelaySession>();
  #next = 1;
  #gone = false;

  constructor() {
    this.#child = spawn('perl', ['-e', SHARED_RELAY], { stdio: ['pipe', 'pipe', 'ignore'], cwd: '/' });
    this.#child.stdin!.on('error', () => undefined);
    let buf: Buffer = Buffer.alloc(0);
    this.#child.stdout!.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 9) {
        const len = buf.readUInt32BE(5);
        if (buf.length < 9 + len) break;
        const type = buf[0]!;
        const s = this.#sessions.get(buf.readUInt32BE(1));
        const payload = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (s === undefined) continue;
        if (type === 2) s.connected(true);
        else if (type === 3) s.connected(false);
        else if (type === 5) s.ended();
        else if (type === 6 && payload.length > 0) s.packet(payload[0] === 3 ? 'stderr' : 'stdout', Buffer.from(payload.subarray(1)));
      }
    });
    const down = () => {
      if (this.#gone) return;
      this.#gone = true;
      if (sharedRelay === this) sharedRelay = undefined;
      for (const s of [...this.#sessions.values()]) {
        s.connected(false);
        s.ended();
      }
      this.#sessions.clear();
    };
    this.#child.on('close', down);
    this.#child.on('error', down);
    this.#refs();
  }

  get usable(): boolean {
    return !this.#gone && this.#sessions.size < SHARED_RELAY_MAX;
  }

  /** Registers a session; returns its id. */
  add(s: RelaySession): number {
    const sid = this.#next++;
    this.#sessions.set(sid, s);
    this.#refs();
    return sid;
  }

  open(sid: number, dir: string): void {
    this.#send(1, sid, Buffer.from(dir));
  }

  remove(sid: number): void {
    if (!this.#sessions.delete(sid)) return;
    this.#send(4, sid, Buffer.alloc(0));
    this.#refs();
  }

  #send(type: number, sid: number, payload: Buffer): void {
    const head = Buffer.alloc(9);
    head[0] = type;
    head.writeUInt32BE(sid, 1);
    head.writeUInt32BE(payload.length, 5);
    this.#child.stdin!.write(Buffer.concat([head, payload]));
  }

  /** The relay keeps the process alive only while it has sessions. */
  #refs(): void {
    const handles = [this.#child, this.#child.stdin, this.#child.stdout] as Array<{ ref?(): void; unref?(): void } | null>;
    for (const h of handles) {
      if (this.#sessions.size > 0) h?.ref?.();
      else h?.unref?.();
    }
  }
}

let sharedRelay: SharedRelay | undefined;

function outputRelay(): SharedRelay | undefined {
  if (sharedRelay === undefined || !sharedRelay.usable) {
    if (sharedRelay !== undefined) return undefined; // full: per-session relays meanwhile
    sharedRelay = new SharedRelay();
  }
  return sharedRelay;
}

/** An output-only attach session through the shared relay (see SHARED_RELAY). */
function prepareSharedAttach(relay: SharedRelay, bundle: string): PendingConmonAttach {
  let listener: ((stream: LogStream, data: Buffer) => void) | undefined;
  const queued: Array<[LogStream, Buffer]> = [];
  let resolveReady!: (ok: boolean) => void;
  const readyP = new Promise<boolean>((r) => (resolveReady = r));
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let sid = 0;
  const end = () => {
    relay.remove(sid);
    resolveReady(false);
    resolveDone();
  };
  sid = relay.add({
    connected: (ok) => resolveReady(ok),
    packet: (stream, data) => {
      if (listener) listener(stream, data);
      else queued.push([stream, data]);
    },
    ended: end,
  });
  return {
    async connect() {
      relay.open(sid, bundle);
      if (!(await readyP)) {
        end();
        return undefined;
      }
      return {
        onData(fn) {
          listener = fn;
          for (const [st, b] of queued.splice(0)) fn(st, b);
        },
        done,
        stdin: null,
        close: end,
      };
    },
    cancel: end,
  };
}

/** Opens an attach session on conmon's socket in `bundle` now (prepareConmonAttach, then connect). */
export function openConmonAttach(bundle: string, options: { stdin: boolean; halfClose: boolean }): Promise<ConmonAttach | undefined> {
  return prepareConmonAttach(bundle, options).connect();
}
