/**
 * `automatic-version-prefix` as rpm-ostree implements it (rust/src/utils.rs, next_version):
 * with prefix P and suffix S (default "."), the first compose is P, the next P S 1, then P S 2…;
 * a previous version not starting with P restarts at P. `<date:FMT>` in the prefix expands with
 * strftime's %Y %m %d %H %M %S (UTC) from the clock passed in.
 */
export function expandDatePrefix(prefix: string, now: Date): string {
  return prefix.replace(/<date:([^>]*)>/g, (_w, fmt: string) =>
    fmt.replace(/%([YmdHMS%])/g, (_m, c: string) => {
      const pad = (n: number): string => String(n).padStart(2, '0');
      switch (c) {
        case 'Y': return String(now.getUTCFullYear());
        case 'm': return pad(now.getUTCMonth() + 1);
        case 'd': return pad(now.getUTCDate());
        case 'H': return pad(now.getUTCHours());
        case 'M': return pad(now.getUTCMinutes());
        case 'S': return pad(now.getUTCSeconds());
        default: return '%';
      }
    }),
  );
}

export function nextVersion(prefix: string, suffix: string, previous: string | undefined, now: Date): string {
  const p = expandDatePrefix(prefix, now);
  if (previous === undefined || !previous.startsWith(p)) return p;
  if (previous === p) return `${p}${suffix}1`;
  const rest = previous.slice(p.length);
  if (!rest.startsWith(suffix)) return p;
  const n = rest.slice(suffix.length);
  if (!/^\d+$/.test(n)) return p;
  return `${p}${suffix}${Number(n) + 1}`;
}
