/**
 * Checks a JSON value against a definition of the API schema subset: JSON types, required
 * properties, enums and (optionally) unknown properties. Returns the problems as `path: what` lines;
 * empty means the value conforms. Used by the golden-shape tests and by request validation.
 */
import { API_SCHEMA_V1_50, type SchemaNode } from './v1-50.js';

export interface CheckOptions {
  /** Report properties the schema does not define (default true). */
  readonly unknown?: boolean;
  /** Report `null` where the schema does not say nullable (default false: Go encodes nil slices/maps as null). */
  readonly strictNull?: boolean;
}

export function checkShape(value: unknown, definition: string, options: CheckOptions = {}): string[] {
  const node = API_SCHEMA_V1_50[definition];
  if (node === undefined) throw new RangeError(`No schema definition ${JSON.stringify(definition)}`);
  const problems: string[] = [];
  walk(value, node, definition, problems, options, 0);
  return problems;
}

/** The property names a definition allows at its top level (request validation). */
export function schemaProperties(definition: string): ReadonlySet<string> {
  const node = resolve(API_SCHEMA_V1_50[definition] ?? 'any');
  if (node === 'any' || !('type' in node) || node.type !== 'object') throw new RangeError(`${definition} is not an object`);
  return new Set(Object.keys(node.properties ?? {}));
}

function resolve(node: SchemaNode): SchemaNode {
  let n = node;
  for (let i = 0; i < 16 && typeof n === 'object' && 'ref' in n; i++) n = API_SCHEMA_V1_50[n.ref] ?? 'any';
  return n;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function walk(value: unknown, raw: SchemaNode, at: string, problems: string[], options: CheckOptions, depth: number): void {
  if (depth > 32) return;
  const node = resolve(raw);
  if (node === 'any' || !('type' in node)) return;
  if (value === null) {
    const nullable = 'nullable' in node && node.nullable === true;
    if (!nullable && options.strictNull === true) problems.push(`${at}: null where ${node.type} expected`);
    return;
  }
  const actual = jsonType(value);
  switch (node.type) {
    case 'string':
    case 'boolean':
    case 'integer':
    case 'number': {
      const ok = actual === node.type || (node.type === 'number' && actual === 'integer');
      if (!ok) problems.push(`${at}: ${actual} where ${node.type} expected`);
      else if (node.enum !== undefined && node.enum.length > 0 && !node.enum.includes(value)) {
        problems.push(`${at}: ${JSON.stringify(value)} not one of ${JSON.stringify(node.enum)}`);
      }
      return;
    }
    case 'array':
      if (actual !== 'array') {
        problems.push(`${at}: ${actual} where array expected`);
        return;
      }
      (value as unknown[]).forEach((item, i) => walk(item, node.items, `${at}[${i}]`, problems, options, depth + 1));
      return;
    case 'object': {
      if (actual !== 'object') {
        problems.push(`${at}: ${actual} where object expected`);
        return;
      }
      const obj = value as Record<string, unknown>;
      for (const key of node.required ?? []) if (!(key in obj)) problems.push(`${at}.${key}: required property missing`);
      for (const [key, v] of Object.entries(obj)) {
        const prop = node.properties?.[key];
        if (prop !== undefined) walk(v, prop, `${at}.${key}`, problems, options, depth + 1);
        else if (typeof node.additionalProperties === 'object') walk(v, node.additionalProperties, `${at}.${key}`, problems, options, depth + 1);
        else if (node.properties !== undefined && node.additionalProperties !== true && options.unknown !== false) {
          problems.push(`${at}.${key}: property not in the schema`);
        }
      }
      return;
    }
  }
}
