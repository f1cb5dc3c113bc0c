/**
 * Kernel command lines as ostree's OstreeKernelArgs handles them: space-separated, `key` or
 * `key=value`, double quotes group spaces. Order is kept; a key may repeat (`console=`).
 * Pure.
 */
export type Karg = readonly [key: string, value: string | undefined];

export function parseKargs(text: string): Karg[] {
  const out: Karg[] = [];
  for (const word of splitCmdline(text)) {
    const eq = word.indexOf('=');
    out.push(eq < 0 ? [word, undefined] : [word.slice(0, eq), word.slice(eq + 1)]);
  }
  return out;
}

export function formatKargs(kargs: readonly Karg[]): string {
  return kargs.map(formatKarg).join(' ');
}

export function formatKarg([key, value]: Karg): string {
  return value === undefined ? key : `${key}=${value}`;
}

function splitCmdline(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quoted = false;
  let has = false;
  for (const c of text) {
    if (c === '"') {
      quoted = !quoted;
      cur += c;
      has = true;
    } else if (!quoted && /\s/.test(c)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) words.push(cur);
  return words;
}

export function kargValue(kargs: readonly Karg[], key: string): string | undefined {
  return kargs.find(([k]) => k === key)?.[1];
}

/**
 * ostree `--karg=K=V`: replaces every argument named K with one K=V (at the first one's place),
 * or appends it. `--karg-append` is plain append ({@link appendKarg}).
 */
export function replaceKarg(kargs: readonly Karg[], arg: string): Karg[] {
  const [key, value] = parseKargs(arg)[0] ?? [arg, undefined];
  const out: Karg[] = [];
  let placed = false;
  for (const k of kargs) {
    if (k[0] !== key) out.push(k);
    else if (!placed) {
      out.push([key, value]);
      placed = true;
    }
  }
  if (!placed) out.push([key, value]);
  return out;
}

export function appendKarg(kargs: readonly Karg[], arg: string): Karg[] {
  return [...kargs, ...parseKargs(arg)];
}

/** rpm-ostree `--append-if-missing`: append unless this exact key=value is present. */
export function appendKargIfMissing(kargs: readonly Karg[], arg: string): Karg[] {
  const add = parseKargs(arg);
  return [...kargs, ...add.filter((a) => !kargs.some((k) => k[0] === a[0] && k[1] === a[1]))];
}

/**
 * rpm-ostree `--delete=K[=V]`: removes K=V (or K when it occurs once). Returns undefined when
 * nothing matched, so callers can report it.
 */
export function deleteKarg(kargs: readonly Karg[], arg: string): Karg[] | undefined {
  const [key, value] = parseKargs(arg)[0] ?? [arg, undefined];
  const idx =
    value === undefined && !arg.includes('=')
      ? kargs.filter((k) => k[0] === key).length === 1
        ? kargs.findIndex((k) => k[0] === key)
        : -1
      : kargs.findIndex((k) => k[0] === key && k[1] === value);
  if (idx < 0) return undefined;
  return [...kargs.slice(0, idx), ...kargs.slice(idx + 1)];
}

/** rpm-ostree `--replace=K=OLD=NEW` (or `K=NEW` when K occurs once). */
export function replaceKargValue(kargs: readonly Karg[], arg: string): Karg[] | undefined {
  const eq = arg.indexOf('=');
  if (eq < 0) return undefined;
  const key = arg.slice(0, eq);
  const rest = arg.slice(eq + 1);
  const eq2 = rest.indexOf('=');
  if (eq2 >= 0) {
    const oldV = rest.slice(0, eq2);
    const newV = rest.slice(eq2 + 1);
    const idx = kargs.findIndex((k) => k[0] === key && k[1] === oldV);
    if (idx < 0) return undefined;
    return kargs.map((k, i) => (i === idx ? ([key, newV] as const) : k));
  }
  const matching = kargs.filter((k) => k[0] === key);
  if (matching.length !== 1) return undefined;
  return kargs.map((k) => (k[0] === key ? ([key, rest] as const) : k));
}
