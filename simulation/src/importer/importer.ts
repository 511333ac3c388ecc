import type { FieldError, MatchEvent, Retraction } from '@pitchpulse/contract';
import { createReadStream, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EventOutcome } from '../http/ingest-client';
import { readState, stateFileFor, writeState, type ImportState } from './checkpoint';
import { formatOf, readRows, type ImportFormat } from './read';
import { ImportFileError, type Row } from './rows';

/** Where valid events and retractions go: the batch APIs, or (with --kafka) straight to the topic. */
export interface ImportTarget {
  /** One outcome per event, in order. */
  send(events: MatchEvent[]): Promise<EventOutcome[]>;
  /** One outcome per retraction, in order. */
  sendRetractions(retractions: Retraction[]): Promise<EventOutcome[]>;
  close(): Promise<void>;
}

export interface ImportOptions {
  file: string;
  format?: ImportFormat;
  /** Records per batch (≤ 1000, the batch endpoints' limit); its events and retractions go in one request each. */
  batch: number;
  /** Batches in flight at once. */
  concurrency: number;
  /** Start at this line (records starting earlier are skipped); overrides the checkpoint. */
  fromLine?: number;
  /** Ignore an existing checkpoint and start from the top. */
  restart?: boolean;
  /** Validate and report only: nothing is sent, no checkpoint is written. */
  dryRun?: boolean;
  /** Where to keep the checkpoint; default `<file>.import-state.json`. */
  stateFile?: string;
  /** Required unless dryRun. */
  target?: ImportTarget;
  onRejected?: (row: RejectedRow) => void;
  onProgress?: (progress: ImportProgress) => void;
  /** Stop early (Ctrl-C): no new batches; those in flight finish and the checkpoint is written. */
  signal?: AbortSignal;
}

export interface RejectedRow {
  line: number;
  /** `file` = the row breaks the contract (not sent); `api` = the API refused it. */
  by: 'file' | 'api';
  errors: FieldError[];
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rows: number;
  rejected: number;
  imported: number;
}

export interface ImportResult {
  file: string;
  format: ImportFormat;
  /** First line this run looked at. */
  startLine: number;
  rows: number;
  valid: number;
  /** Of the valid rows, retractions. */
  retractions: number;
  /** Rows the API acknowledged (duplicates of earlier runs included: the API deduplicates by eventId). */
  imported: number;
  rejectedInFile: number;
  rejectedByApi: number;
  /** Everything up to this line is done; a re-run continues after it. */
  checkpointLine: number;
  /** True when the whole file was processed. */
  completed: boolean;
  /** Why the import stopped early. */
  stopped?: string;
  dryRun: boolean;
  elapsedMs: number;
}

/** A valid row on its way: an event or a retraction. */
type ValidRow = Pick<Row, 'line' | 'event' | 'retraction'>;

interface PendingBatch {
  rows: ValidRow[];
  /** Every record up to this line is in this batch, an earlier one, or was rejected. */
  coverLine: number;
  /** Rows of the file rejected up to `coverLine` (this run). */
  rejectedInFileBefore: number;
  imported: number;
  refused: number;
  done: boolean;
}

/** Sends a batch's events and its retractions, each through its own route; answers one outcome per row, in order. */
async function sendRows(target: ImportTarget, rows: ValidRow[]): Promise<EventOutcome[]> {
  const events = rows.flatMap((r) => (r.event ? [r.event] : []));
  const retractions = rows.flatMap((r) => (r.retraction ? [r.retraction] : []));
  const [eventOutcomes, retractionOutcomes] = await Promise.all([
    events.length > 0 ? target.send(events) : [],
    retractions.length > 0 ? target.sendRetractions(retractions) : [],
  ]);
  let nextEvent = 0;
  let nextRetraction = 0;
  return rows.map((r) => (r.event ? eventOutcomes[nextEvent++]! : retractionOutcomes[nextRetraction++]!));
}

/**
 * Imports a CSV or NDJSON file: validates every record (events and retractions), reports rejected ones with their
 * line numbers, and sends the valid ones in batches. The checkpoint moves only past lines whose batches (and every
 * earlier batch) were acknowledged, so a re-run after a crash or an outage continues where it must; rows re-sent
 * then are harmless because the API deduplicates by eventId (a retraction, by the eventId it takes back).
 */
export async function importFile(options: ImportOptions): Promise<ImportResult> {
  const started = Date.now();
  const file = resolve(options.file);
  const format = options.format ?? formatOf(file);
  if (!format)
    throw new ImportFileError(
      `cannot tell the format of ${options.file}: name it *.csv or *.ndjson, or pass --format`,
    );
  const totalBytes = statSync(file).size;
  const stateFile = options.stateFile ?? stateFileFor(file);
  const dryRun = options.dryRun ?? false;
  if (!dryRun && !options.target) throw new Error('importFile needs a target unless dryRun');

  let startLine = 1;
  const previous = options.restart || dryRun ? undefined : readState(stateFile);
  if (options.fromLine !== undefined) startLine = options.fromLine;
  else if (previous) {
    if (previous.size > totalBytes) {
      throw new ImportFileError(
        `${options.file} is shorter than when ${stateFile} was written: pass --restart to start over or --from-line N`,
      );
    }
    startLine = previous.lastAckedLine + 1;
  }

  const result: ImportResult = {
    file,
    format,
    startLine,
    rows: 0,
    valid: 0,
    retractions: 0,
    imported: previous && options.fromLine === undefined ? previous.imported : 0,
    rejectedInFile: previous && options.fromLine === undefined ? previous.rejected : 0,
    rejectedByApi: 0,
    checkpointLine: startLine - 1,
    completed: false,
    dryRun,
    elapsedMs: 0,
  };
  // Counts carried over from the checkpoint are for the whole file; this run's own counts start at zero.
  const carried = { imported: result.imported, rejected: result.rejectedInFile };
  // Counts up to the checkpoint line only, so that a resumed run never counts a row twice.
  const atCheckpoint = { ...carried };
  let refusedBeforeCheckpoint = 0;
  result.imported = 0;
  result.rejectedInFile = 0;

  let bytesRead = 0;
  const input = createReadStream(file);
  input.on('data', (chunk) => (bytesRead += chunk.length));
  const progress = (): void =>
    options.onProgress?.({
      bytesRead,
      totalBytes,
      rows: result.rows,
      rejected: result.rejectedInFile + result.rejectedByApi,
      imported: result.imported,
    });
  const ticker = setInterval(progress, 250);

  const pending: PendingBatch[] = [];
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const changed = (): Promise<void> => new Promise((r) => (wake = r));
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const checkpoint = (): void => {
    if (dryRun) return;
    const state: ImportState = {
      version: 1,
      file,
      size: totalBytes,
      lastAckedLine: result.checkpointLine,
      imported: atCheckpoint.imported,
      rejected: atCheckpoint.rejected,
      updatedAt: new Date().toISOString(),
    };
    writeState(stateFile, state);
  };

  /** Moves the checkpoint over the acknowledged prefix of batches. */
  const advance = (): void => {
    let moved = false;
    while (pending.length > 0 && (pending[0] as PendingBatch).done) {
      const batch = pending.shift() as PendingBatch;
      result.checkpointLine = batch.coverLine;
      refusedBeforeCheckpoint += batch.refused;
      atCheckpoint.imported += batch.imported;
      atCheckpoint.rejected = carried.rejected + batch.rejectedInFileBefore + refusedBeforeCheckpoint;
      moved = true;
    }
    if (moved) checkpoint();
  };

  const dispatch = async (batch: PendingBatch): Promise<void> => {
    inFlight++;
    try {
      const outcomes = await sendRows(options.target as ImportTarget, batch.rows);
      let failure: EventOutcome | undefined;
      outcomes.forEach((outcome, i) => {
        const row = batch.rows[i] as { line: number };
        if (outcome.kind === 'accepted') {
          result.imported++;
          batch.imported++;
        } else if (
          outcome.kind === 'rejected' &&
          outcome.status !== 401 &&
          outcome.status !== 403 &&
          outcome.status !== 404
        ) {
          result.rejectedByApi++;
          batch.refused++;
          options.onRejected?.({
            line: row.line,
            by: 'api',
            errors: outcome.errors ?? [{ path: '/', message: outcome.detail ?? `HTTP ${outcome.status}` }],
          });
        } else failure ??= outcome;
      });
      if (failure) {
        const why =
          failure.kind === 'rejected'
            ? `the API answered ${failure.status}${failure.status === 404 ? ' (is --url the PitchPulse API?)' : ' (pass a valid --api-key)'}`
            : failure.kind === 'accepted'
              ? ''
              : `${failure.kind === 'unknown' ? 'delivery unknown' : 'not delivered'} after the last attempt (${failure.status}: ${failure.reason})`;
        result.stopped ??= `batch starting at line ${batch.rows[0]?.line}: ${why}`;
      } else batch.done = true;
    } catch (err) {
      result.stopped ??= `batch starting at line ${batch.rows[0]?.line}: ${(err as Error).message}`;
    } finally {
      inFlight--;
      if (batch.done) advance();
      notify();
    }
  };

  const running: Array<Promise<void>> = [];
  let current: ValidRow[] = [];
  let lastLine = startLine - 1;
  const flush = async (): Promise<void> => {
    if (current.length === 0) return;
    while (inFlight >= options.concurrency && !result.stopped) await changed();
    if (options.signal?.aborted) result.stopped ??= 'interrupted';
    if (result.stopped) return;
    const batch: PendingBatch = {
      rows: current,
      coverLine: lastLine,
      rejectedInFileBefore: result.rejectedInFile,
      imported: 0,
      refused: 0,
      done: false,
    };
    current = [];
    pending.push(batch);
    running.push(dispatch(batch));
  };

  try {
    for await (const row of readRows(input, format, startLine)) {
      if (options.signal?.aborted) result.stopped ??= 'interrupted';
      if (result.stopped) break;
      result.rows++;
      lastLine = row.endLine;
      if (row.event || row.retraction) {
        result.valid++;
        if (row.retraction) result.retractions++;
        if (!dryRun) {
          current.push({ line: row.line, event: row.event, retraction: row.retraction });
          if (current.length >= options.batch) await flush();
        }
      } else {
        result.rejectedInFile++;
        options.onRejected?.({ line: row.line, by: 'file', errors: row.errors ?? [] });
        if (!dryRun && pending.length === 0 && current.length === 0) {
          // Nothing earlier is outstanding: the checkpoint may move past this rejected row at once.
          result.checkpointLine = lastLine;
          atCheckpoint.rejected = carried.rejected + result.rejectedInFile + refusedBeforeCheckpoint;
        }
      }
    }
    if (!result.stopped) await flush();
    await Promise.all(running);
    if (!result.stopped) {
      result.checkpointLine = Math.max(result.checkpointLine, lastLine);
      atCheckpoint.imported = carried.imported + result.imported;
      atCheckpoint.rejected = carried.rejected + result.rejectedInFile + result.rejectedByApi;
      result.completed = true;
    }
    if (!dryRun) checkpoint();
  } finally {
    clearInterval(ticker);
    bytesRead = result.completed ? totalBytes : bytesRead;
    progress();
    await Promise.allSettled(running);
  }
  result.elapsedMs = Date.now() - started;
  return result;
}
