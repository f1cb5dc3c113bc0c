/** A parsed `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export interface Challenge {
  readonly scheme: string; // lower case
  readonly params: Readonly<Record<string, string>>;
}

const PARAM_REGEXP = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/y;

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  let current: { scheme: string; params: Record<string, string> } | undefined;
  while (i < header.length) {
    while (i < header.length && /[\s,]/.test(header[i]!)) i++;
    if (i >= header.length) break;
    PARAM_REGEXP.lastIndex = i;
    const m = PARAM_REGEXP.exec(header);
    if (m && current) {
      current.params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
      i = PARAM_REGEXP.lastIndex;
      continue;
    }
    const scheme = /^[A-Za-z][A-Za-z0-9_-]*/.exec(header.slice(i));
    if (!scheme) break;
    current = { scheme: scheme[0].toLowerCase(), params: {} };
    out.push(current);
    i += scheme[0].length;
  }
  return out;
}
