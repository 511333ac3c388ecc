import { type FieldError, type MatchEvent, type Retraction } from '@pitchpulse/contract';
import { validateEvent, validateRetraction, type ValidationResult } from '@pitchpulse/events';

/** One record of an import file, judged against the contract: an event, a retraction, or errors. */
export interface Row {
  /** Line where the record starts (1-based); a CSV record with quoted newlines spans `line`…`endLine`. */
  line: number;
  endLine: number;
  event?: MatchEvent;
  /** A record with `kind` `retraction`: takes an event back (sent to the retraction routes). */
  retraction?: Retraction;
  errors?: FieldError[];
}

/** A problem with the file itself (not one row): the import cannot go on. */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
}

export const CSV_COLUMNS = [
  'eventId',
  'matchId',
  'eventType',
  'timestamp',
  'teamId',
  'playerId',
  'metadata',
] as const;
/** Optional columns of a file that holds retractions: `kind` (`retraction`, or empty for an event) and `reason`. */
export const RETRACTION_COLUMNS = ['kind', 'reason'] as const;
const REQUIRED_COLUMNS = ['eventId', 'matchId', 'eventType', 'timestamp', 'teamId'];
/** A file with `kind` and `reason` may hold retractions only: then only these event columns are required. */
const REQUIRED_FOR_RETRACTIONS = ['eventId', 'matchId'];

/** Checks a CSV header: contract fields (and kind, reason) only, each once, the required ones present. */
export function checkCsvHeader(header: string[]): string[] {
  const names = header.map((h) => h.trim());
  const known: readonly string[] = [...CSV_COLUMNS, ...RETRACTION_COLUMNS];
  const seen = new Set<string>();
  for (const name of names) {
    if (!known.includes(name)) {
      throw new ImportFileError(
        `line 1: unknown column "${name}"; the columns are the contract's fields: ${known.join(', ')}`,
      );
    }
    if (seen.has(name)) throw new ImportFileError(`line 1: column "${name}" appears twice`);
    seen.add(name);
  }
  const retractionsOnly = RETRACTION_COLUMNS.every((c) => seen.has(c));
  const required = retractionsOnly ? REQUIRED_FOR_RETRACTIONS : REQUIRED_COLUMNS;
  const missing = required.filter((c) => !seen.has(c));
  if (missing.length > 0)
    throw new ImportFileError(`line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return names;
}

/**
 * Turns CSV fields into an event (or retraction) candidate: empty cells are left out, `teamId` becomes a number
 * when it is one, `metadata` is parsed as JSON. Then the contract's validator judges it.
 */
export function rowFromCsv(header: string[], fields: string[], line: number, endLine: number): Row {
  if (fields.length !== header.length) {
    return {
      line,
      endLine,
      errors: [{ path: '/', message: `has ${fields.length} fields, the header has ${header.length}` }],
    };
  }
  const candidate: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  header.forEach((name, i) => {
    const value = fields[i] as string;
    if (value === '') return;
    if (name === 'teamId') candidate.teamId = /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    else if (name === 'metadata') {
      try {
        candidate.metadata = JSON.parse(value);
      } catch (err) {
        errors.push({ path: '/metadata', message: `is not valid JSON (${(err as Error).message})` });
      }
    } else candidate[name] = value;
  });
  return judge(candidate, line, endLine, errors);
}

/** Parses one NDJSON line into an event (or retraction) candidate and validates it. */
export function rowFromJsonLine(text: string, line: number): Row {
  let candidate: unknown;
  try {
    candidate = JSON.parse(text);
  } catch (err) {
    return {
      line,
      endLine: line,
      errors: [{ path: '/', message: `is not valid JSON (${(err as Error).message})` }],
    };
  }
  return judge(candidate, line, line, []);
}

/**
 * Judges a candidate by its `kind`: `retraction` against the retraction contract (without `kind`), absent or
 * `event` against the event contract. Errors found earlier (e.g. unreadable metadata) come first.
 */
function judge(candidate: unknown, line: number, endLine: number, earlier: FieldError[]): Row {
  const { kind, record } = splitKind(candidate);
  if (kind === 'retraction') {
    const checked = validateRetraction(record);
    if (checked.ok && earlier.length === 0) return { line, endLine, retraction: checked.value };
    return { line, endLine, errors: withEarlier(earlier, checked) };
  }
  if (kind !== undefined && kind !== 'event') {
    return { line, endLine, errors: [...earlier, { path: '/kind', message: KIND_RULE }] };
  }
  const checked = validateEvent(record);
  if (checked.ok && earlier.length === 0) return { line, endLine, event: checked.value };
  return { line, endLine, errors: withEarlier(earlier, checked) };
}

/** The errors found before validation, then the validator's on other paths. */
function withEarlier(earlier: FieldError[], checked: ValidationResult<unknown>): FieldError[] {
  return [
    ...earlier,
    ...(checked.ok ? [] : checked.errors.filter((e) => !earlier.some((x) => x.path === e.path))),
  ];
}

const KIND_RULE = 'must be "retraction", or "event" (the same as no kind)';

/** A JSON object's `kind` and the object without it; anything else is a record without a kind. */
function splitKind(candidate: unknown): { kind: unknown; record: unknown } {
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    Array.isArray(candidate) ||
    !('kind' in candidate)
  )
    return { kind: undefined, record: candidate };
  const { kind, ...record } = candidate as Record<string, unknown>;
  return { kind, record };
}
