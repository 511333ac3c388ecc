import { Type, type SchemaOptions, type TSchema, type TUnsafe } from '@sinclair/typebox';

/**
 * Small builders shared by the contract's modules. Enumerations are plain `enum` schemas (not TypeBox's `anyOf`
 * of literals) so a validation error names the allowed values.
 */
export function oneOf<const T extends readonly (string | number)[]>(
  values: T,
  options: SchemaOptions = {},
): TUnsafe<T[number]> {
  const type = values.every((v) => typeof v === 'number') ? 'integer' : 'string';
  return Type.Unsafe<T[number]>({ type, enum: [...values], ...options });
}

/** A JSON object whose members the contract does not fix (event metadata). */
export const FreeObject = (options: SchemaOptions = {}) =>
  Type.Unsafe<Record<string, unknown>>({ type: 'object', ...options });

export const DateTime = (options: SchemaOptions = {}) => Type.String({ format: 'date-time', ...options });
export const Count = (options: SchemaOptions = {}) => Type.Integer({ minimum: 0, ...options });

/** An object schema that rejects members it does not list: every response is checked against these. */
export const Closed = <P extends Parameters<typeof Type.Object>[0]>(
  title: string,
  properties: P,
  options: SchemaOptions = {},
) => Type.Object(properties, { title, additionalProperties: false, ...options });

export type { TSchema };
