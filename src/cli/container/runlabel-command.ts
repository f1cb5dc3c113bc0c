/**
 * projectatomic `atomic run/install/uninstall` label semantics (Atomic/run.py, util.py), pure:
 * split the label on whitespace, append the user's args, replace the old bare tokens IMAGE / NAME /
 * IMAGE=IMAGE / NAME=NAME, expand $VAR and ${VAR} from the extended environment, delete every `$…`
 * word still unresolved (atomic does; `${FOO:-bar}` is not shell syntax there), then shell-split.
 */

export interface LabelContext {
  readonly image: string;
  readonly name: string;
  readonly args: readonly string[];
  /** Caller's environment plus NAME, IMAGE, OPT1..3, PWD, SUDO_UID, SUDO_GID, RUN_OPTS. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** atomic's default NAME: the image's last path component without tag or digest. */
export function defaultName(image: string): string {
  const last = image.split('/').pop() ?? image;
  return last.split('@')[0]!.split(':')[0]!;
}

/** Label lookup as atomic does: as given, lower, Capitalised, UPPER. */
export function findLabel(labels: Readonly<Record<string, string>>, key: string): string | undefined {
  const variants = [key, key.toLowerCase(), key.charAt(0).toUpperCase() + key.slice(1).toLowerCase(), key.toUpperCase()];
  for (const v of variants) if (labels[v] !== undefined) return labels[v];
  return undefined;
}

const VAR_REGEXP = /\$\{(\w+)\}|\$(\w+)/g;

/** POSIX-shell-like word splitting with quotes and backslashes (Python's shlex.split, posix mode). */
export function shellSplit(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new RangeError('No closing quotation');
  if (inWord) out.push(cur);
  return out;
}

export function labelArgv(label: string, ctx: LabelContext): string[] {
  const words = [...label.split(/\s+/).filter(Boolean), ...ctx.args];
  const replaced = words.map((w) => {
    if (w === 'IMAGE') return ctx.image;
    if (w === 'NAME') return ctx.name;
    if (w === 'IMAGE=IMAGE') return `IMAGE=${ctx.image}`;
    if (w === 'NAME=NAME') return `NAME=${ctx.name}`;
    return w;
  });
  const env: Readonly<Record<string, string | undefined>> = { ...ctx.env, NAME: ctx.name, IMAGE: ctx.image };
  const expanded = replaced.join(' ').replace(VAR_REGEXP, (m, a: string | undefined, b: string | undefined) => {
    const v = env[(a ?? b)!];
    return v === undefined ? m : v;
  });
  // Any `$…` word left is dropped entirely.
  const cleaned = expanded.replace(/\$\S+/g, '').replace(/\s+/g, ' ').trim();
  return shellSplit(cleaned);
}

/** atomic's default RUN when an image has no RUN label (plain or super-privileged). */
export function defaultRunLabel(spc: boolean, tty: boolean): string {
  if (spc) {
    return `docker run ${tty ? '-t ' : ''}-i --privileged -v /:/host -v /run:/run -v /etc/localtime:/etc/localtime --net=host --ipc=host --pid=host -e HOST=/host -e NAME=\${NAME} -e IMAGE=\${IMAGE} -e SYSTEMD_IGNORE_CHROOT=1 --name \${NAME} \${IMAGE}`;
  }
  return `docker run ${tty ? '-t ' : ''}-i --name \${NAME} \${IMAGE}`;
}

/** The container engine CLIs a label may name, all run through berth itself. */
export function isEngineCli(arg0: string): boolean {
  const base = arg0.split('/').pop() ?? arg0;
  return base === 'docker' || base === 'podman' || base === 'berth';
}
