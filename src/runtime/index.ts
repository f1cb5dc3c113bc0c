/** OCI runtime spec, crun/runc, the per-container monitor, networking, json-file logs. */
export * from './errors.js';
export * from './oci-spec.js';
export * from './seccomp-default.js';
export * from './oci-runtime.js';
export * from './json-log.js';
export * from './monitor.js';
export * from './port-proxy.js';
export * from './network.js';
export * from './user.js';
export * from './host.js';
export * from './console.js';
export * from './conmon.js';
export * from './conmon-exit.js';
export * from './report-line.js';
export * from './seccomp-bpf-cache.js';
