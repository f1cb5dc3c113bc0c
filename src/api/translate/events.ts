/** Engine events → Docker EventMessage (`docker events` JSON lines). */
import type { EngineEvent } from '../../engine/index.js';

export function toEventJson(e: EngineEvent): Record<string, unknown> {
  return {
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: { ...e.attributes } },
    scope: 'local',
    time: e.time,
    timeNano: e.timeNano,
  };
}
