/**
 * crun compiles a spec's seccomp section to BPF (libseccomp) at every `create`: ~12–15 ms of its ~45 ms on
 * this host for docker's default profile. crun 1.8.1 keeps a cache of those programs only when it is built
 * with libgcrypt checksums (Debian's is not), but it takes a finished program in the annotation
 * `run.oci.seccomp_bpf_data` (base64; crun.1.md, src/libcrun/container.c) and then skips the compiling.
 * The program is crun's own output: after a create, crun leaves it in `<state root>/<id>/seccomp.bpf`
 * (src/libcrun/seccomp.c, libcrun_open_seccomp_bpf). It is remembered here, per runtime binary and exact
 * seccomp section, for this process's later containers with the same section: the same input gives the
 * same program, so the filter a container gets does not change, only who compiled it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { OciSpec } from './oci-spec.js';
import type { RuntimeCommand } from './oci-runtime.js';

export const SECCOMP_BPF_ANNOTATION = 'run.oci.seccomp_bpf_data';

/** base64 programs by key (see seccompKey); bounded: a process sees few distinct profiles. */
const programs = new Map<string, string>();
const MAX_PROGRAMS = 64;

/** The cache key of a spec's seccomp section for a runtime, or undefined when it has none (or not crun). */
export function seccompKey(rt: RuntimeCommand, spec: OciSpec): string | undefined {
  const seccomp = spec.linux?.seccomp;
  if (rt.name !== 'crun' || seccomp === undefined) return undefined;
  // Annotations that change crun's compiling, and the program's own annotation, are part of the input.
  const options = Object.entries(spec.annotations ?? {}).filter(([k]) => k.startsWith('run.oci.seccomp'));
  if (options.length > 0) return undefined;
  return createHash('sha256').update(`${rt.binary}\0${JSON.stringify(seccomp)}`).digest('hex');
}

/** Adds the compiled program to `spec` when one is known for its seccomp section; returns whether it did. */
export function useCachedSeccomp(key: string | undefined, spec: OciSpec): boolean {
  const program = key === undefined ? undefined : programs.get(key);
  if (program === undefined) return false;
  spec.annotations = { ...(spec.annotations ?? {}), [SECCOMP_BPF_ANNOTATION]: program };
  return true;
}

/** After a successful create without the annotation: remembers the program crun compiled for `id`. */
export async function rememberSeccomp(key: string | undefined, rt: RuntimeCommand, id: string): Promise<void> {
  if (key === undefined || programs.has(key)) return;
  const bpf = await readFile(`${rt.stateRoot}/${id}/seccomp.bpf`).catch(() => undefined);
  // struct sock_filter is 8 bytes; an empty or torn file is not a program.
  if (bpf === undefined || bpf.length === 0 || bpf.length % 8 !== 0) return;
  if (programs.size >= MAX_PROGRAMS) programs.delete(programs.keys().next().value!);
  programs.set(key, bpf.toString('base64'));
}
