import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { MAX_METADATA_BYTES, eventBatchSchema, matchEventSchema, type MatchEvent } from './schema';

/** One problem with a request body, named by its JSON Pointer (`/teamId`). */
export interface FieldError {
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: false });
addFormats(ajv, ['uuid', 'date-time']);
const validateEventSchema = ajv.compile<MatchEvent>(matchEventSchema);
const validateBatchSchema = ajv.compile<{ events: unknown[] }>(eventBatchSchema);

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
      return { path, message: 'must be 1–64 characters of A–Z a–z 0–9 . _ : -' };
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
 * Nesting deeper than this cannot fit the byte limit: every level adds at least two bytes (`[]` or `{}`). Checked
 * without recursion first, because JSON.stringify overflows the stack on a few thousand levels (a 32 KiB body
 * holds 16,000), which would turn a client's mistake into a 500.
 */
const MAX_FITTING_DEPTH = MAX_METADATA_BYTES / 2;

function deeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > limit) return true;
    const children = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/** Metadata must stay small: it is stored per event and read back in highlights. */
function metadataTooLarge(metadata: unknown): boolean {
  if (metadata === undefined) return false;
  return (
    deeperThan(metadata, MAX_FITTING_DEPTH) ||
    Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES
  );
}

/** Validates one event against the v1 contract; every problem is listed, each naming its field. */
export function validateEvent(input: unknown): ValidationResult<MatchEvent> {
  if (!validateEventSchema(input)) return { ok: false, errors: describeAll(validateEventSchema.errors) };
  if (metadataTooLarge(input.metadata)) {
    return {
      ok: false,
      errors: [{ path: '/metadata', message: `must be at most ${MAX_METADATA_BYTES} bytes as JSON` }],
    };
  }
  // ClickHouse's DateTime silently stores anything outside 1970–2105 as 0000-00-00: refuse what we could not keep.
  const at = Date.parse(input.timestamp);
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

export interface BatchValidation {
  valid: Array<{ index: number; event: MatchEvent }>;
  invalid: Array<{ index: number; errors: FieldError[] }>;
}

/** Validates a batch body: its envelope must be right; then each event is judged on its own. */
export function validateBatch(input: unknown): ValidationResult<BatchValidation> {
  if (!validateBatchSchema(input)) return { ok: false, errors: describeAll(validateBatchSchema.errors) };
  const result: BatchValidation = { valid: [], invalid: [] };
  input.events.forEach((candidate, index) => {
    const checked = validateEvent(candidate);
    if (checked.ok) result.valid.push({ index, event: checked.value });
    else
      result.invalid.push({
        index,
        errors: checked.errors.map((e) => ({
          ...e,
          path: `/events/${index}${e.path === '/' ? '' : e.path}`,
        })),
      });
  });
  return { ok: true, value: result };
}
