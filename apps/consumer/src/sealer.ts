/**
 * Sealing from the consumer's side: a match's seal is its figures computed once from its raw rows (see
 * packages/clickhouse/src/seals.ts); reads use it while it is current, else the raw rows. `Sealer.pass` is one
 * pass of the maintenance loop (quiet matches only), `backfillSeals` is `pnpm backfill` (every match, now).
 *
 * Both are built from `pendingMatches`, `settleMarkers` and `sealMatch`, the steps of `sealPending`, so each seal
 * is timed on its own and a pass can stop between two seals when the consumer shuts down. Both end by storing the
 * season's daily stats (season_days) once every match is sealed.
 */
import { performance } from 'node:perf_hooks';
import {
  pendingMatches,
  sealMatch,
  settleMarkers,
  type ClickHouseStore,
  type SealResult,
  type SeasonDaysResult,
  type SettledMarkers,
} from '@pitchpulse/clickhouse';

/** Most pending matches one pass lists (the pending gauge is capped at this). */
export const PENDING_SCAN_LIMIT = 10_000;
/** The largest `limit` pendingMatches takes. */
const MAX_LIMIT = 100_000;
/** A match with a marker but no rows (nothing to seal) is left alone this long before it is tried again. */
const EMPTY_REST_MS = 10 * 60_000;

export interface SealerOptions {
  /** only matches without an insert for this long (SEAL_QUIET_MS) */
  quietMs: number;
  /** most matches sealed per pass (SEAL_BATCH) */
  batch: number;
}

export interface SealerHooks {
  /** a seal was written, in `seconds` */
  onSeal?: (seal: SealResult, seconds: number) => void;
  /** a pending match had no rows to seal (its raw rows were dropped under it); left alone for a while */
  onEmpty?: (matchId: string) => void;
  /** on a cluster, rows of a pending match were stored while the replicas settled: a later pass seals it */
  onMoving?: (matchId: string) => void;
  /** the season's daily stats were stored for a new stats version */
  onSeasonDays?: (stored: SeasonDaysResult) => void;
}

export interface SealPass {
  /** pending matches found at the start of the pass (at most PENDING_SCAN_LIMIT) */
  pending: number;
  sealed: SealResult[];
  /** the season's daily stats stored by this pass (`null`: a match is not sealed yet, or nothing changed) */
  seasonDays: SeasonDaysResult | null;
}

/** Seals one match, timed (sealMatch's answer: a seal, or why none was written). */
async function timedSeal(store: ClickHouseStore, matchId: string, settled: SettledMarkers | undefined) {
  const caps = await store.capabilities();
  const started = performance.now();
  const seal = await sealMatch(store.client, caps, matchId, settled);
  return { seal, seconds: (performance.now() - started) / 1000 };
}

/** The sealer of the maintenance loop: each pass seals up to `batch` quiet matches without a current seal. */
export class Sealer {
  /** matchId → when an empty match may be tried again (ms) */
  private readonly resting = new Map<string, number>();

  constructor(
    private readonly store: ClickHouseStore,
    private readonly options: SealerOptions,
    private readonly hooks: SealerHooks = {},
    private readonly clock: () => number = Date.now,
  ) {}

  async pass(signal?: AbortSignal): Promise<SealPass> {
    const caps = await this.store.capabilities();
    const now = this.clock();
    const pending = await pendingMatches(this.store.client, caps, {
      quietMs: this.options.quietMs,
      limit: PENDING_SCAN_LIMIT,
      now,
    });
    for (const [id, until] of this.resting) if (until <= now) this.resting.delete(id);
    const sealed: SealResult[] = [];
    const batch = pending.filter((id) => !this.resting.has(id)).slice(0, this.options.batch);
    const settled = await settleMarkers(this.store.client, caps, batch, signal);
    for (const matchId of batch) {
      if (signal?.aborted) break;
      const { seal, seconds } = await timedSeal(this.store, matchId, settled);
      if (seal === 'empty') {
        this.resting.set(matchId, now + EMPTY_REST_MS);
        this.hooks.onEmpty?.(matchId);
      } else if (seal === 'moving') {
        this.hooks.onMoving?.(matchId);
      } else {
        sealed.push(seal);
        this.hooks.onSeal?.(seal, seconds);
      }
    }
    const seasonDays = signal?.aborted ? null : await this.store.writeSeasonDays(signal);
    if (seasonDays) this.hooks.onSeasonDays?.(seasonDays);
    return { pending: pending.length, sealed, seasonDays };
  }
}

export interface BackfillPage {
  page: number;
  /** seals written on this page */
  sealed: SealResult[];
  seconds: number;
  /** seals written so far */
  totalSealed: number;
}

export interface BackfillResult {
  sealed: number;
  /** distinct events the seals counted */
  events: number;
  pages: number;
  /** matches this run tried that are pending again: an insert came after their seal, or (on a cluster) while the
   * replicas settled before it (`moving`, not sealed): still live */
  changed: string[];
  /** matches with a marker but no rows: nothing to seal */
  empty: string[];
  /** the season's daily stats stored at the end (`null`: a match is still unsealed, or they were stored already) */
  seasonDays: SeasonDaysResult | null;
}

/**
 * Seals every match without a current seal, now (quietMs 0), `pageSize` at a time, the longest quiet first.
 * Resumable by nature: the state is the seals themselves, so a second run continues with what is still pending
 * and one after a complete run finds nothing. Each match is sealed at most once per run: one that changes again
 * after its seal (a live match) is reported in `changed`, for the sealer to take once it is quiet.
 */
export async function backfillSeals(
  store: ClickHouseStore,
  options: { pageSize: number; onPage?: (page: BackfillPage) => void; signal?: AbortSignal },
): Promise<BackfillResult> {
  const caps = await store.capabilities();
  const attempted = new Set<string>();
  const empty: string[] = [];
  let seenAgain: string[] = [];
  let pages = 0;
  let sealedCount = 0;
  let events = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    // Matches of this run that are pending again come first in the answer, or anywhere in it: ask for a page
    // more than those, so the page is never taken up by them alone.
    const limit = Math.min(MAX_LIMIT, options.pageSize + seenAgain.length);
    const pending = await pendingMatches(store.client, caps, { quietMs: 0, limit });
    seenAgain = pending.filter((id) => attempted.has(id));
    const fresh = pending.filter((id) => !attempted.has(id)).slice(0, options.pageSize);
    if (fresh.length === 0) {
      if (pending.length < limit || limit === MAX_LIMIT) break;
      continue;
    }
    const started = performance.now();
    const sealed: SealResult[] = [];
    const settled = await settleMarkers(store.client, caps, fresh, options.signal);
    for (const matchId of fresh) {
      if (options.signal?.aborted) break;
      attempted.add(matchId);
      const { seal } = await timedSeal(store, matchId, settled);
      // a moving match is pending again at the end: it is reported in `changed`
      if (seal === 'empty') empty.push(matchId);
      else if (seal !== 'moving') sealed.push(seal);
    }
    pages++;
    sealedCount += sealed.length;
    events += sealed.reduce((n, s) => n + s.totalEvents, 0);
    options.onPage?.({
      page: pages,
      sealed,
      seconds: (performance.now() - started) / 1000,
      totalSealed: sealedCount,
    });
  }
  const emptySet = new Set(empty);
  const stillPending = await pendingMatches(store.client, caps, { quietMs: 0, limit: MAX_LIMIT });
  const changed = stillPending.filter((id) => attempted.has(id) && !emptySet.has(id));
  const seasonDays = options.signal?.aborted ? null : await store.writeSeasonDays(options.signal);
  return { sealed: sealedCount, events, pages, changed, empty, seasonDays };
}
