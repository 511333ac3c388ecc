import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';
import { isRfc3339DateTime } from './timestamp';

/** An ajv instance with the contract's formats: `uuid`, and `date-time` as the pipeline parses it (RFC 3339). */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: false });
  addFormats(ajv, ['uuid']);
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339DateTime });
  return ajv;
}

const ajv = createAjv();
const compiled = new WeakMap<TSchema, ValidateFunction>();

/** The compiled validator of one of the contract's schemas (compiled once, on first use). */
export function validatorFor<T extends TSchema>(schema: T): ValidateFunction<Static<T>> {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate as ValidateFunction<Static<T>>;
}
