import type { ErrorObject, ValidateFunction } from 'ajv';
import {
  EventBatch,
  MATCH_ID_RULE,
  MAX_METADATA_BYTES,
  MatchEvent,
  Retraction,
  RetractionBatch,
  StoredEvent,
  StoredRetraction,
  parseTimestampMs,
  validatorFor,
  type FieldError,
} from '@pitchpulse/contract';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** A schema's check as a ValidationResult: every problem listed, each naming its field. */
function bySchema<T>(schema: ValidateFunction<T>): (input: unknown) => ValidationResult<T> {
  return (input) =>
    schema(input) ? { ok: true, value: input } : { ok: false, errors: describeAll(schema.errors) };
}

const eventSchema = bySchema(validatorFor(MatchEvent));
const storedEventSchema = bySchema(validatorFor(StoredEvent));
const batchSchema = bySchema(validatorFor(EventBatch));
const retractionBatchSchema = bySchema(validatorFor(RetractionBatch));

const EARLIEST_TIMESTAMP_MS = 0;
const LATEST_TIMESTAMP_MS = Date.UTC(2105, 11, 31, 23, 59, 59, 999);

const quote = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : String(v));

function describe(error: ErrorObject): FieldError {
  const path = error.instancePath || '/';
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: `${error.instancePath}/${String(p.missingProperty)}`, message: 'is required' };
    case 'additionalProperties':
      return {
        path: `${error.instancePath}/${String(p.additionalProperty)}`,
        message: 'is not a known field (unknown fields are rejected)',
      };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(quote);
      const list = allowed.length === 2 ? allowed.join(' or ') : `one of ${allowed.join(', ')}`;
      return { path, message: `must be ${list}` };
    }
    case 'format':
      return {
        path,
        message:
          p.format === 'uuid'
            ? 'must be a UUID'
            : 'must be an RFC 3339 date-time with an offset or Z, e.g. 2024-01-15T14:30:00Z',
      };
    case 'pattern':
      return { path, message: `must be ${MATCH_ID_RULE}` };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

/** ajv reports `type` before `enum` for the same field; keep the first error per path, in order. */
function describeAll(errors: ErrorObject[] | null | undefined): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors ?? []) {
    const described = describe(error);
    if (seen.has(described.path)) continue;
    seen.add(described.path);
    out.push(described);
  }
  return out;
}

/**
 * Metadata must stay small: it is stored per event and read back in highlights. Nesting too deep to serialise
 * (JSON.stringify throws RangeError past a few thousand levels, which a 32 KiB body can hold) is too large too,
 * rather than a 500.
 */
function metadataTooLarge(metadata: unknown): boolean {
  if (metadata === undefined) return false;
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch (err) {
    if (err instanceof RangeError) return true;
    throw err;
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: most metadata is decided without counting bytes.
  return json.length * 3 > MAX_METADATA_BYTES && Buffer.byteLength(json) > MAX_METADATA_BYTES;
}

/** Validates one event against the v1 contract; every problem is listed, each naming its field. */
export function validateEvent(input: unknown): ValidationResult<MatchEvent> {
  const checked = eventSchema(input);
  return checked.ok ? checkBeyondSchema(checked.value) : checked;
}

/**
 * Validates an event read back from Kafka: the contract plus `receivedAt`, checked in place (no copy without
 * `receivedAt`: the consumer runs this once per stored event).
 */
export function validateStoredEvent(input: unknown): ValidationResult<StoredEvent> {
  const checked = storedEventSchema(input);
  return checked.ok ? checkBeyondSchema(checked.value) : checked;
}

/** What JSON Schema cannot say: the metadata's size and a timestamp ClickHouse's DateTime can hold. */
function checkBeyondSchema<T extends MatchEvent>(input: T): ValidationResult<T> {
  if (metadataTooLarge(input.metadata)) {
    return {
      ok: false,
      errors: [{ path: '/metadata', message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` }],
    };
  }
  // ClickHouse's DateTime silently stores anything outside 1970–2105 as 0000-00-00: refuse what we could not keep.
  const at = parseTimestampMs(input.timestamp)!; // the schema's date-time format checked that it parses
  if (!(at >= EARLIEST_TIMESTAMP_MS && at <= LATEST_TIMESTAMP_MS)) {
    return {
      ok: false,
      errors: [
        { path: '/timestamp', message: 'must be between 1970-01-01T00:00:00Z and 2105-12-31T23:59:59Z' },
      ],
    };
  }
  return { ok: true, value: input };
}

export interface BatchValidation<T = MatchEvent> {
  valid: Array<{ index: number; item: T }>;
  invalid: Array<{ index: number; errors: FieldError[] }>;
}

/** Judges each item of a batch on its own, naming each error by its place in the body (`/events/3/teamId`). */
function judgeEach<T>(
  field: string,
  items: unknown[],
  validateOne: (candidate: unknown) => ValidationResult<T>,
): BatchValidation<T> {
  const result: BatchValidation<T> = { valid: [], invalid: [] };
  items.forEach((candidate, index) => {
    const checked = validateOne(candidate);
    if (checked.ok) result.valid.push({ index, item: checked.value });
    else
      result.invalid.push({
        index,
        errors: checked.errors.map((e) => ({
          ...e,
          path: `/${field}/${index}${e.path === '/' ? '' : e.path}`,
        })),
      });
  });
  return result;
}

/** Validates a batch body: its envelope must be right; then each event is judged on its own. */
export function validateBatch(input: unknown): ValidationResult<BatchValidation<MatchEvent>> {
  const checked = batchSchema(input);
  return checked.ok ? { ok: true, value: judgeEach('events', checked.value.events, validateEvent) } : checked;
}

/** Validates one retraction (`POST /api/retractions`). */
export const validateRetraction: (input: unknown) => ValidationResult<Retraction> = bySchema(
  validatorFor(Retraction),
);

/** Validates a retraction read back from Kafka: the request plus `kind` and `receivedAt`. */
export const validateStoredRetraction: (input: unknown) => ValidationResult<StoredRetraction> = bySchema(
  validatorFor(StoredRetraction),
);

/** Validates a retraction batch body: its envelope must be right; then each retraction is judged on its own. */
export function validateRetractionBatch(input: unknown): ValidationResult<BatchValidation<Retraction>> {
  const checked = retractionBatchSchema(input);
  return checked.ok
    ? { ok: true, value: judgeEach('retractions', checked.value.retractions, validateRetraction) }
    : checked;
}
