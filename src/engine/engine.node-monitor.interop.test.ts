// The engine interop suite again with the Node monitor (the fallback when conmon is not installed), so both
// monitors stay tested: engine.interop.test.ts runs with the default (conmon when installed).
process.env.BERTH_MONITOR = 'node';
await import('./engine.interop.test.js');
