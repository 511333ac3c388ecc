import { parse } from 'csv-parse';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { ImportFileError, checkCsvHeader, rowFromCsv, rowFromJsonLine, type Row } from './rows';

export type ImportFormat = 'csv' | 'ndjson';

/** `csv` for *.csv, `ndjson` for *.ndjson / *.jsonl / *.json; undefined otherwise. */
export function formatOf(path: string): ImportFormat | undefined {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(nd)?json(l)?$/i.test(path)) return 'ndjson';
  return undefined;
}

/** Every record of the input with its line numbers, header excluded, skipping records that start before `fromLine`. */
export function readRows(input: Readable, format: ImportFormat, fromLine = 1): AsyncGenerator<Row> {
  return format === 'csv' ? readCsv(input, fromLine) : readNdjson(input, fromLine);
}

async function* readNdjson(input: Readable, fromLine: number): AsyncGenerator<Row> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (line < fromLine || text.trim() === '') continue;
    yield rowFromJsonLine(text, line);
  }
}

const NL = 0x0a;
const CR = 0x0d;

/**
 * CSV through csv-parse, with line numbers computed from its byte offsets (its own line counter miscounts quoted
 * CRLF newlines): the bytes of each record are counted for newlines, so a record's start line is exact even when
 * quoted fields hold newlines. A syntax error (e.g. an unclosed quote) stops the import, naming the line.
 */
async function* readCsv(input: Readable, fromLine: number): AsyncGenerator<Row> {
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
  });
  // Bytes handed to the parser that no emitted record has consumed yet, and the line they start on.
  let pending: Buffer[] = [];
  let consumed = 0;
  let line = 1;
  /** Advances over the bytes up to `end`; returns the record's start and end line. */
  const advance = (end: number): { start: number; last: number } => {
    const length = end - consumed;
    const buffer = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    const segment = buffer.subarray(0, length);
    let i = 0;
    // Empty lines before the record belong to no record.
    while (i < segment.length && (segment[i] === NL || segment[i] === CR)) {
      if (segment[i] === NL) line++;
      i++;
    }
    const start = line;
    let newlines = 0;
    for (let j = i; j < segment.length; j++) if (segment[j] === NL) newlines++;
    // The record's own newline ends it; newlines before that are inside quoted fields.
    const endsWithNewline = segment.length > 0 && segment[segment.length - 1] === NL;
    const last = start + newlines - (endsWithNewline ? 1 : 0);
    line = start + newlines;
    const rest = buffer.subarray(length);
    pending = rest.length > 0 ? [rest] : [];
    consumed = end;
    return { start, last };
  };

  // Records are taken from 'data' events (not async iteration) so that every record parsed before a syntax
  // error is still handed out before the error is raised.
  type Parsed = { record: string[]; info: { bytes: number } };
  const parsed: Parsed[] = [];
  let failure: (Error & { code?: string }) | undefined;
  let ended = false;
  let signal: (() => void) | undefined;
  const wake = (): void => {
    const s = signal;
    signal = undefined;
    s?.();
  };
  parser.on('data', (item: Parsed) => {
    parsed.push(item);
    if (parsed.length >= 1000) parser.pause();
    wake();
  });
  parser.on('error', (err: Error) => {
    failure ??= err;
    wake();
  });
  parser.on('end', () => {
    ended = true;
    wake();
  });
  parser.on('close', wake);

  const feeding = (async () => {
    try {
      for await (const chunk of input) {
        if (parser.destroyed) break;
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        pending.push(buffer);
        if (!parser.write(buffer)) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              parser.off('drain', done);
              parser.off('close', done);
              resolve();
            };
            parser.once('drain', done);
            parser.once('close', done);
          });
        }
      }
      if (!parser.destroyed) parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  })();

  let header: string[] | undefined;
  try {
    for (;;) {
      const item = parsed.shift();
      if (item) {
        if (parsed.length < 100 && parser.isPaused()) parser.resume();
        const { start, last } = advance(item.info.bytes);
        if (!header) {
          header = checkCsvHeader(item.record);
          continue;
        }
        if (start < fromLine) continue;
        yield rowFromCsv(header, item.record, start, last);
        continue;
      }
      if (failure) {
        if (!failure.code?.startsWith('CSV_')) throw failure;
        // The broken record starts after the last good one (skipping empty lines).
        let at = line;
        const rest = pending.length > 0 ? Buffer.concat(pending) : Buffer.alloc(0);
        for (let i = 0; i < rest.length && (rest[i] === NL || rest[i] === CR); i++) if (rest[i] === NL) at++;
        throw new ImportFileError(
          `line ${at}: CSV syntax error: ${failure.message.replace(/ at line \d+/, '')}`,
        );
      }
      if (ended || parser.destroyed) break;
      await new Promise<void>((resolve) => (signal = resolve));
    }
  } finally {
    if (!parser.destroyed) parser.destroy();
    input.destroy();
    await feeding;
  }
  if (!header)
    throw new ImportFileError('the file is empty: a CSV import needs a header line naming the columns');
}
