// `node --import dist/cli/testing/load-trace.js dist/cli/bin.js …` with BERTH_LOAD_TRACE=FILE records every module
// URL the verb loads (ESM files, node: builtins and package entry points) in FILE. Not a timing: a list, so a test
// can say that `berth --version` must not load the container engine.
import { register } from 'node:module';

const file = process.env.BERTH_LOAD_TRACE;
if (file !== undefined && file !== '') register('./load-trace-hooks.js', { parentURL: import.meta.url, data: { file } });
