import { defineError } from '../core/index.js';

export const RuntimeUnavailable = defineError<{ runtime: string; reason: string }>('RUNTIME_UNAVAILABLE', 'unavailable');
export const RuntimeFailed = defineError<{ runtime: string; argv: readonly string[]; stderr: string }>('RUNTIME_FAILED', 'internal');
export const MonitorFailed = defineError<{ id: string; reason: string }>('RUNTIME_MONITOR_FAILED', 'internal');
export const NetworkSetupFailed = defineError<{ id: string; step: string }>('RUNTIME_NETWORK_FAILED', 'internal');
export const AddressPoolExhausted = defineError<{ subnet: string }>('RUNTIME_ADDRESS_POOL_EXHAUSTED', 'unavailable');
export const PortInUse = defineError<{ hostIp: string; hostPort: number }>('RUNTIME_PORT_IN_USE', 'conflict');
export const ConsoleFailed = defineError<{ path: string }>('RUNTIME_CONSOLE_FAILED', 'internal');
