import { Type, type TObject, type TProperties, type Static } from '@sinclair/typebox';

/**
 * The event contract is written once, here, with TypeBox: each declaration is a JSON Schema
 * object at run time (ajv compiles it; contract/json/ holds the published files) and a
 * TypeScript type at compile time (`Static<...>`), so there is no second hand-written copy.
 *
 * Additive changes (a new optional field) stay within a schema version: objects accept
 * unknown keys. Breaking changes need a new `schema_version`.
 */
export const Id = (maxLength = 128) => Type.String({ minLength: 1, maxLength });
export const Money = Type.Number({ minimum: -1e12, maximum: 1e12 });
export const Currency = Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code' });
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40 });

export const Context = Type.Object(
  {
    page_url: Type.Optional(Type.String({ maxLength: 4096 })),
    referrer: Type.Optional(Type.String({ maxLength: 4096 })),
    user_agent: Type.Optional(Type.String({ maxLength: 1024 })),
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    locale: Type.Optional(Type.String({ maxLength: 35 })),
  },
  { description: 'Where and on what the event happened.' },
);

/** Builds one event type's schema: the shared envelope plus its typed properties. */
export function eventSchema<T extends string, P extends TProperties>(eventType: T, version: number, properties: TObject<P>, description: string) {
  return Type.Object(
    {
      event_id: Type.String({ format: 'uuid', description: 'Client-supplied UUID: the idempotency key.' }),
      event_type: Type.Literal(eventType),
      schema_version: Type.Literal(version),
      occurred_at: Timestamp,
      sent_at: Type.Optional(Timestamp),
      user_id: Type.Optional(Id()),
      anonymous_id: Type.Optional(Id()),
      session_id: Id(),
      context: Type.Optional(Context),
      properties,
    },
    {
      $id: `https://distributary.dev/schemas/${eventType}/v${version}.json`,
      title: `${eventType} v${version}`,
      description,
      // An event must say who did it: a known user, an anonymous visitor, or both.
      anyOf: [{ required: ['user_id'] }, { required: ['anonymous_id'] }],
    },
  );
}

export type Envelope = Static<ReturnType<typeof eventSchema<string, TProperties>>>;
