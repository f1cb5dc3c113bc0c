// The constants of the test helpers, apart from them: image/index.ts exports these directly and the helpers
// (busybox.ts with tar-stream, registry.ts with node:http) only through loaders, so product code does not load them.
export const DEFAULT_APPLETS = [
  'sh', 'echo', 'sleep', 'httpd', 'true', 'false', 'cat', 'ls', 'ps', 'id', 'env', 'hostname', 'wget', 'nc', 'printf', 'mkdir',
  'rm', 'touch', 'test', 'kill', 'top', 'head', 'tail', 'grep', 'sed', 'date', 'uname', 'whoami', 'mount', 'df', 'ip', 'ping',
  'pwd', 'stat', 'readlink', 'chmod', 'ln', 'cp', 'mv', 'seq', 'wc', 'tee', 'nslookup', 'ifconfig', 'xargs', 'find', 'awk',
];

export const TEST_REGISTRY_USER = 'berth';
export const TEST_REGISTRY_PASSWORD = 'berth-secret';
