import { type FieldError, type MatchEvent } from '@pitchpulse/contract';
import { validateEvent } from '@pitchpulse/events';

/** One record of an import file, judged against the contract. */
export interface Row {
  /** Line where the record starts (1-based); a CSV record with quoted newlines spans `line`…`endLine`. */
  line: number;
  endLine: number;
  event?: MatchEvent;
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
const REQUIRED_COLUMNS = ['eventId', 'matchId', 'eventType', 'timestamp', 'teamId'];

/** Checks a CSV header: contract fields only, each once, the required ones present. */
export function checkCsvHeader(header: string[]): string[] {
  const names = header.map((h) => h.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      throw new ImportFileError(
        `line 1: unknown column "${name}"; the columns are the contract's fields: ${CSV_COLUMNS.join(', ')}`,
      );
    }
    if (seen.has(name)) throw new ImportFileError(`line 1: column "${name}" appears twice`);
    seen.add(name);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length > 0)
    throw new ImportFileError(`line 1: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return names;
}

/**
 * Turns CSV fields into an event candidate: empty cells are left out, `teamId` becomes a number when it is one,
 * `metadata` is parsed as JSON. Then the contract's validator judges it.
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

/** Parses one NDJSON line into an event candidate and validates it. */
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

function judge(candidate: unknown, line: number, endLine: number, earlier: FieldError[]): Row {
  const checked = validateEvent(candidate);
  if (checked.ok && earlier.length === 0) return { line, endLine, event: checked.value };
  const errors = [
    ...earlier,
    ...(checked.ok ? [] : checked.errors.filter((e) => !earlier.some((x) => x.path === e.path))),
  ];
  return { line, endLine, errors };
}
