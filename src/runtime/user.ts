/**
 * `-u` resolution against the container's own /etc/passwd and /etc/group (as dockerd and podman do):
 * name, uid, name:group, uid:gid; supplementary gids from group membership.
 */
import { readFile } from 'node:fs/promises';
import { defineError } from '../core/index.js';

export const UnknownUser = defineError<{ user: string }>('RUNTIME_UNKNOWN_USER', 'invalid-argument');

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  readonly home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const f = l.split(':');
    return { name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
  }).filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const f = l.split(':');
    return { name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) };
  }).filter((e) => Number.isInteger(e.gid));
}

const NUMERIC_REGEXP = /^\d+$/;

/** Pure resolution from file contents. */
export function resolveUserFrom(spec: string, passwd: string, group: string, groupAdd: readonly string[] = []): ResolvedUser {
  const users = parsePasswd(passwd);
  const groups = parseGroup(group);
  const [userPart = '', groupPart] = spec === '' ? ['0'] : spec.split(':');
  let uid: number;
  let gid: number;
  let home = '/';
  let name: string | undefined;
  if (NUMERIC_REGEXP.test(userPart)) {
    uid = Number(userPart);
    const e = users.find((u) => u.uid === uid);
    gid = e?.gid ?? 0;
    home = e?.home ?? '/';
    name = e?.name;
  } else {
    const e = users.find((u) => u.name === userPart);
    if (e === undefined) throw new UnknownUser(`Unable to find user ${userPart}: no matching entries in passwd file`, { user: spec });
    uid = e.uid;
    gid = e.gid;
    home = e.home;
    name = e.name;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC_REGEXP.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (g === undefined) throw new UnknownUser(`Unable to find group ${groupPart}: no matching entries in group file`, { user: spec });
      gid = g.gid;
    }
  }
  const extra = new Set<number>();
  if (name !== undefined && groupPart === undefined) {
    for (const g of groups) if (g.members.includes(name) || g.gid === gid) extra.add(g.gid);
  }
  for (const ga of groupAdd) {
    if (NUMERIC_REGEXP.test(ga)) extra.add(Number(ga));
    else {
      const g = groups.find((x) => x.name === ga);
      if (g === undefined) throw new UnknownUser(`Unable to find group ${ga}`, { user: ga });
      extra.add(g.gid);
    }
  }
  return { uid, gid, additionalGids: [...extra], home };
}

export async function resolveUser(rootfs: string, spec: string, groupAdd: readonly string[] = []): Promise<ResolvedUser> {
  const read = (p: string) => readFile(`${rootfs}${p}`, 'utf8').catch(() => '');
  return resolveUserFrom(spec, await read('/etc/passwd'), await read('/etc/group'), groupAdd);
}
