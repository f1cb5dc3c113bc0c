/**
 * Boots a disk image in qemu and talks to it over the serial console: what the boot test and the
 * boot benchmark use. The host plays the bootloader (as with any BLS-reading loader): before every
 * boot it reads `boot/loader/entries` from the image (debugfs, no mount), takes the first entry in
 * BLS order, and passes its kernel, initramfs and options to qemu (-kernel/-initrd/-append). A
 * reboot is qemu exiting (-no-reboot) and starting again with the entries as the guest left them.
 *
 * qemu runs through core's exec() (bounded by a timeout); the console is a Unix socket read
 * continuously, since a guest blocks on UART writes nobody drains. The accelerator is KVM when
 * /dev/kvm can be opened read-write (10–20× faster boots), TCG otherwise.
 */
import { connect, type Socket } from 'node:net';
import { access, constants, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exec, type ExecResult } from '../core/index.js';
import { blsGet, parseBlsEntry } from '../formats/index.js';
import { ComposeImageFailed } from './errors.js';
import { sortBootEntries, type BootEntry } from './image.js';

async function debugfs(image: string, offset: number, request: string): Promise<string> {
  const r = await exec(['debugfs', '-R', request, `${image}?offset=${offset}`], { pkg: 'e2fsprogs' });
  return r.stdout.toString('utf8');
}

/** BLS entries of the image's current boot version, in boot order. */
export async function imageBootEntries(image: string, rootOffset: number): Promise<BootEntry[]> {
  const listing = await debugfs(image, rootOffset, 'ls -p /boot/loader/entries');
  const names = listing.split('\n').map((l) => l.split('/')[5] ?? '').filter((n) => n.endsWith('.conf'));
  const out: BootEntry[] = [];
  for (const name of names) {
    const entry = parseBlsEntry(await debugfs(image, rootOffset, `cat /boot/loader/entries/${name}`));
    const linux = blsGet(entry, 'linux');
    if (linux === undefined) continue;
    const initrd = blsGet(entry, 'initrd');
    out.push({ file: name, entry, title: blsGet(entry, 'title') ?? name, linux, ...(initrd !== undefined ? { initrd } : {}), options: blsGet(entry, 'options') ?? '' });
  }
  return sortBootEntries(out);
}

export type Accel = 'kvm' | 'tcg';

export interface AccelProbe {
  readonly accel: Accel;
  /** Why not KVM, for a test's skip message or a log line. */
  readonly reason?: string;
}

/**
 * 'kvm' when qemu -accel kvm can run a stock kernel here: /dev/kvm opens read-write and is backed by
 * hardware virtualization (the kvm_intel or kvm_amd module). Some cloud machines offer /dev/kvm through
 * kvm_pvm, a software backend that only runs PVM-enabled guest kernels: a Debian kernel stops with
 * "KVM internal error ... emulation failure" before its first console line, so that counts as no KVM.
 */
export async function probeAccel(o: { readonly device?: string; readonly sysModule?: string } = {}): Promise<AccelProbe> {
  const device = o.device ?? '/dev/kvm';
  const sysModule = o.sysModule ?? '/sys/module';
  try {
    await access(device, constants.R_OK | constants.W_OK);
  } catch (err) {
    return { accel: 'tcg', reason: `${device}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` };
  }
  const loaded = async (m: string): Promise<boolean> => access(path.join(sysModule, m)).then(() => true, () => false);
  if ((await loaded('kvm_intel')) || (await loaded('kvm_amd'))) return { accel: 'kvm' };
  if (await loaded('kvm_pvm')) return { accel: 'tcg', reason: `${device} is kvm_pvm (software virtualization for PVM guest kernels only)` };
  return { accel: 'tcg', reason: `${device} is not backed by kvm_intel or kvm_amd` };
}

export async function hostAccel(): Promise<Accel> {
  return (await probeAccel()).accel;
}

/**
 * The CPU model TCG emulates. Not `max`: qemu 7.2's TCG offers AVX2 there, and glibc, OpenSSL and zlib then
 * take their AVX2 paths, which TCG runs through per-instruction helpers. With `qemu64` (SSE2) they take
 * the plain paths TCG translates to host code: in qemu-x86_64 on this machine the composed host's Node.js
 * hashed 40 MB with SHA-256 in 0.9–2.0 s instead of 6.2 s, deflated and inflated 8 MB in 1.7–3.1 s instead
 * of 8.2 s, and started (`node -e 0`) in the same 2.4–3.2 CPU s. Debian's amd64 baseline is plain x86-64.
 */
export const TCG_CPU = 'qemu64';

/** qemu arguments for an accelerator: KVM passes the host CPU through; TCG emulates TCG_CPU (or `cpu`). */
export function accelArgv(accel: Accel, cpu?: string): string[] {
  return accel === 'kvm' ? ['-accel', 'kvm', '-cpu', cpu ?? 'host'] : ['-accel', 'tcg,thread=multi', '-cpu', cpu ?? TCG_CPU];
}

/**
 * Kernel arguments for a TCG guest. A TCG vCPU is a host thread; on a loaded host it is starved for
 * seconds at a time, and the guest's soft-lockup watchdog and RCU stall detector then print false
 * alarms (stack traces) across the serial console, where they break up the prompts the harness reads.
 */
export const TCG_KARGS: readonly string[] = ['nowatchdog', 'rcupdate.rcu_cpu_stall_suppress=1'];

export interface VmOptions {
  readonly image: string;
  readonly rootOffset: number;
  /** Which entry to boot (0 = default). */
  readonly entryIndex?: number;
  /** Boot through the firmware and the image's own bootloader (GRUB) instead of -kernel. */
  readonly firmware?: boolean;
  /** Default: hostAccel(). */
  readonly accel?: Accel;
  readonly memoryMiB?: number;
  readonly cpus?: number;
  /** qemu -cpu model (default: host under KVM, TCG_CPU under TCG). */
  readonly cpu?: string;
  /** Read-only 9p shares: tag → host directory. */
  readonly shares?: Readonly<Record<string, string>>;
  /** Extra kernel arguments after the entry's options. */
  readonly extraKargs?: string;
  /** More raw disk images, attached read-only after the boot disk (e.g. a NoCloud seed: /dev/vdb). */
  readonly drives?: readonly string[];
  /** Whole-VM time limit (default 60 min). */
  readonly timeoutMs?: number;
  /** Every console byte is also passed here (a log file writer). */
  readonly onConsole?: (text: string) => void;
}

export class Vm {
  readonly entry: BootEntry;
  readonly accel: Accel;
  readonly #dir: string;
  readonly #exit: Promise<ExecResult>;
  #socket: Socket | undefined;
  #buffer = '';
  #consumed = 0;
  #seq = 0;
  #exited = false;

  private constructor(entry: BootEntry, accel: Accel, dir: string, exit: Promise<ExecResult>) {
    this.entry = entry;
    this.accel = accel;
    this.#dir = dir;
    this.#exit = exit.finally(() => {
      this.#exited = true;
    });
  }

  static async boot(o: VmOptions): Promise<Vm> {
    const entries = await imageBootEntries(o.image, o.rootOffset);
    const entry = entries[o.entryIndex ?? 0];
    if (entry === undefined) throw new ComposeImageFailed(`The image has no boot entry ${o.entryIndex ?? 0}`, { step: 'boot' });
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-vm-'));
    const kernel = path.join(dir, 'vmlinuz');
    const initrd = path.join(dir, 'initrd');
    await debugfs(o.image, o.rootOffset, `dump /boot${entry.linux} ${kernel}`);
    if (entry.initrd !== undefined) await debugfs(o.image, o.rootOffset, `dump /boot${entry.initrd} ${initrd}`);
    if ((await stat(kernel)).size === 0) throw new ComposeImageFailed(`Could not read ${entry.linux} from the image`, { step: 'boot' });
    const sock = path.join(dir, 'console.sock');
    const accel = o.accel ?? (await hostAccel());
    const argv = [
      'qemu-system-x86_64', '-machine', 'q35', ...accelArgv(accel, o.cpu),
      '-smp', String(o.cpus ?? 2), '-m', String(o.memoryMiB ?? 2048),
      // No default devices (VGA, CD-ROM, NIC): fewer drivers for udev to load, which under TCG costs minutes.
      '-nodefaults', '-display', 'none', '-no-reboot', '-monitor', 'none', '-nic', 'none',
      ...(o.firmware
        ? []
        : ['-kernel', kernel, ...(entry.initrd !== undefined ? ['-initrd', initrd] : []), '-append', [entry.options, ...(accel === 'tcg' ? TCG_KARGS : []), ...(o.extraKargs ? [o.extraKargs] : [])].join(' ')]),
      '-drive', `file=${o.image},format=raw,if=virtio`,
      ...(o.drives ?? []).flatMap((d) => ['-drive', `file=${d},format=raw,if=virtio,readonly=on`]),
      '-chardev', `socket,id=s0,path=${sock},server=on,wait=off`, '-serial', 'chardev:s0',
      '-pidfile', path.join(dir, 'qemu.pid'),
    ];
    for (const [tag, hostDir] of Object.entries(o.shares ?? {})) {
      argv.push('-virtfs', `local,path=${hostDir},mount_tag=${tag},security_model=none,readonly=on`);
    }
    const exit = exec(argv, { check: false, pkg: 'qemu-system-x86', timeoutMs: o.timeoutMs ?? 60 * 60_000 });
    const vm = new Vm(entry, accel, dir, exit);
    for (let i = 0; i < 200 && vm.#socket === undefined; i++) {
      if (vm.#exited) break;
      try {
        vm.#socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(sock, () => resolve(s));
          s.once('error', reject);
        });
      } catch {
        await sleep(50);
      }
    }
    if (vm.#socket === undefined) {
      const r = await exit;
      throw new ComposeImageFailed(`qemu did not start: ${r.stderr.toString().trim()}`, { step: 'boot' });
    }
    vm.#socket.setEncoding('utf8');
    vm.#socket.on('data', (text: string) => {
      vm.#buffer += text;
      o.onConsole?.(text);
    });
    vm.#socket.on('error', () => undefined);
    return vm;
  }

  /** Console text since the boot. */
  get console(): string {
    return this.#buffer;
  }

  /** Waits for `re` in console output after the last match; bounded by `timeoutMs`. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const rest = this.#buffer.slice(this.#consumed);
      const m = re.exec(rest);
      if (m) {
        this.#consumed += m.index + m[0].length;
        return m;
      }
      if (this.#exited) {
        const r = await this.#exit;
        const why = `${r.signal ?? `exit ${r.exitCode}`}${r.stderr.length > 0 ? `: ${r.stderr.toString('utf8').trim()}` : ''}`;
        throw new ComposeImageFailed(`The VM stopped (qemu ${why}) before ${re} appeared; console tail: ${JSON.stringify(rest.slice(-600))}`, { step: 'console' });
      }
      if (performance.now() > deadline) {
        throw new ComposeImageFailed(`Timed out after ${timeoutMs} ms waiting for ${re}; console tail: ${JSON.stringify(rest.slice(-600))}`, { step: 'console' });
      }
      await sleep(100);
    }
  }

  write(text: string): void {
    this.#socket?.write(text);
  }

  /** Logs in on the serial getty as a user without password. */
  async login(user = 'root', timeoutMs = 10 * 60_000): Promise<void> {
    await this.waitFor(/login: $/m, timeoutMs);
    this.write(`${user}\n`);
    await this.waitFor(/[#$] $/m, 60_000);
    // Quieter console: no kernel messages in command output, no pager, no terminal control codes.
    await this.run('dmesg -n 1; export SYSTEMD_PAGER= PAGER=cat TERM=dumb SYSTEMD_COLORS=0');
  }

  /** Runs a shell command; resolves with its output and exit status. */
  async run(command: string, timeoutMs = 120_000): Promise<{ output: string; status: number }> {
    this.#seq += 1;
    const tag = `BERTH${this.#seq}X`;
    // The markers are printed split so the echoed command line never matches them.
    this.write(`printf '%s%s\\n' '<<${tag}' 'BEGIN>>'; ${command}; printf '%s%s %s\\n' '<<${tag}' 'END>>' "$?"\n`);
    await this.waitFor(new RegExp(`<<${tag}BEGIN>>\\r?\\n`), timeoutMs);
    const start = this.#consumed;
    const end = await this.waitFor(new RegExp(`<<${tag}END>> (\\d+)`), timeoutMs);
    const output = this.#buffer.slice(start, this.#consumed - end[0].length).replace(/\r/g, '');
    return { output, status: Number(end[1]) };
  }

  /** Resolves when qemu has exited (after poweroff or reboot). */
  async exited(timeoutMs: number): Promise<void> {
    // The timer is cancelled once qemu exits, so it does not hold the process open for timeoutMs.
    const cancel = new AbortController();
    const timer = sleep(timeoutMs, undefined, { signal: cancel.signal }).then(() => 'timeout' as const, () => 'cancelled' as const);
    const r = await Promise.race([this.#exit, timer]);
    cancel.abort();
    if (r === 'timeout') throw new ComposeImageFailed(`qemu did not exit within ${timeoutMs} ms`, { step: 'shutdown' });
  }

  /** Stops qemu if it still runs, and removes the kernel copies. */
  async dispose(): Promise<void> {
    this.#socket?.destroy();
    if (!this.#exited) {
      // qemu has no monitor here; it is stopped by signal, by the pid it wrote for us.
      const pid = Number((await readFile(path.join(this.#dir, 'qemu.pid'), 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 1) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    }
    await this.#exit.catch(() => undefined);
    await rm(this.#dir, { recursive: true, force: true });
  }
}
