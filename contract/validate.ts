import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EVENT_SCHEMAS, type StorefrontEvent } from './events';
import { MAX_DEPTH, jsonDepth } from './json-depth';

export type Validation =
  | { ok: true; event: StorefrontEvent }
  | { ok: false; reason: 'not_an_object' | 'too_deep' | 'unknown_event_type' | 'unknown_schema_version' | 'schema_invalid'; errors: string[] };

export type EventValidator = (input: unknown) => Validation;

/** Compiles every schema once; the returned function is safe on any input (never throws). */
export function createEventValidator(): EventValidator {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv, ['date-time', 'uuid']);
  const byType = new Map<string, Map<number, ValidateFunction>>();
  for (const schema of EVENT_SCHEMAS) {
    const type = schema.properties.event_type.const;
    const version = schema.properties.schema_version.const;
    if (!byType.has(type)) byType.set(type, new Map());
    byType.get(type)!.set(version, ajv.compile(schema));
  }

  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, reason: 'not_an_object', errors: ['an event must be a JSON object'] };
    }
    if (jsonDepth(input) > MAX_DEPTH) {
      return { ok: false, reason: 'too_deep', errors: [`an event may nest objects and arrays at most ${MAX_DEPTH} levels deep`] };
    }
    const { event_type: type, schema_version: version = 1 } = input as Record<string, unknown>;
    const versions = typeof type === 'string' ? byType.get(type) : undefined;
    if (!versions) {
      return { ok: false, reason: 'unknown_event_type', errors: [`event_type ${describe(type)} is not one of ${[...byType.keys()].join(', ')}`] };
    }
    const validate = typeof version === 'number' ? versions.get(version) : undefined;
    if (!validate) {
      return { ok: false, reason: 'unknown_schema_version', errors: [`schema_version ${describe(version)} of ${type} is not one of ${[...versions.keys()].join(', ')}`] };
    }
    if (validate(input)) return { ok: true, event: input as StorefrontEvent };
    return { ok: false, reason: 'schema_invalid', errors: formatErrors(validate.errors ?? []) };
  };
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}

function formatErrors(errors: ErrorObject[]): string[] {
  const out = errors
    // The envelope's anyOf produces one "must have required property" per branch; say it once.
    .filter((e) => !(e.instancePath === '' && (e.keyword === 'anyOf' || (e.keyword === 'required' && e.schemaPath.startsWith('#/anyOf')))))
    .map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
  if (errors.some((e) => e.keyword === 'anyOf' && e.instancePath === '')) out.push('/ must have user_id or anonymous_id');
  return [...new Set(out)].slice(0, 20);
}
