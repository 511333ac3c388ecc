import type { ClickHouseClient } from '@clickhouse/client';
import type { PlayerSort, TimelineBucket } from '@pitchpulse/contract';
import { sampled, type Span } from '@pitchpulse/tracing';
import { detectCapabilities, type ClickHouseCapabilities } from './capabilities';
import { clientUnder } from './client';
import { lastInserts } from './queries/freshness';
import { getHighlight, listHighlights, readySince, type HighlightQuery } from './queries/highlights';
import { matchPage, matchTotals, type ListMatchesParams } from './queries/matches';
import { matchMetrics, matchMetricsFromEvents, matchMetricsFromSeal } from './queries/metrics';
import { topPlayers } from './queries/players';
import { timeline } from './queries/timeline';
import { foundRetractions, matchRetractions } from './retractions';
import { flaggedEvents, matchAnomalies } from './queries/anomalies';
import { sealMatch, sealPending, type PendingOptions } from './seals';
import { writeSeasonDays } from './season-days';
import {
  dailyStats,
  eventTypeStats,
  playerRanking,
  cohortRetention,
  statsSnapshot,
  type CohortRetentionParams,
  type StatsSnapshot,
  type StatsRangeParams,
} from './queries/stats';
import type { StatsPlayerSort } from '@pitchpulse/contract';

/**
 * The read model of one ClickHouse server: every read query bound to a client, the server's capabilities (asked
 * once, again after a failure, so a store can be made while ClickHouse is down) and the client's database.
 * Per-match reads answer with the stored rows they are complete up to (see Versioned).
 */
export class ClickHouseStore {
  /** shared with the store's views (`under`) */
  private caps: { asked?: Promise<ClickHouseCapabilities> } = {};

  constructor(
    readonly client: ClickHouseClient,
    capabilities?: ClickHouseCapabilities,
  ) {
    if (capabilities) this.caps.asked = Promise.resolve(capabilities);
  }

  /**
   * This store with its queries' spans children of `parent` (a request's or a flush's span); itself without one,
   * or when its trace is not sampled.
   */
  under(parent: Span | undefined): ClickHouseStore {
    if (!sampled(parent)) return this;
    const view = new ClickHouseStore(clientUnder(this.client, parent));
    view.caps = this.caps;
    return view;
  }

  capabilities(): Promise<ClickHouseCapabilities> {
    const caps = this.caps;
    if (!caps.asked) {
      const asked = detectCapabilities(this.client);
      caps.asked = asked;
      asked.catch(() => {
        if (caps.asked === asked) caps.asked = undefined;
      });
    }
    return caps.asked;
  }

  async metrics(matchId: string) {
    return matchMetrics(this.client, await this.capabilities(), { matchId });
  }

  /** The metrics from the raw rows: the baseline seals are measured and cross-checked against. */
  async metricsFromEvents(matchId: string) {
    return matchMetricsFromEvents(this.client, await this.capabilities(), { matchId });
  }

  /** The metrics from the match's current seal only (`null` without one). */
  async metricsFromSeal(matchId: string) {
    return matchMetricsFromSeal(this.client, await this.capabilities(), { matchId });
  }

  /** Computes a new seal of the match from its raw rows (see seals.ts). */
  async seal(matchId: string) {
    return sealMatch(this.client, await this.capabilities(), matchId);
  }

  /** Seals matches whose figures are missing or stale and that have been quiet for `quietMs`. */
  async sealPending(options: PendingOptions) {
    return sealPending(this.client, await this.capabilities(), options);
  }

  /** Stores the season's daily stats at the current stats version when every match is sealed (season-days.ts). */
  async writeSeasonDays(signal?: AbortSignal) {
    return writeSeasonDays(this.client, await this.capabilities(), { signal });
  }

  async timeline(matchId: string, bucket: TimelineBucket) {
    return timeline(this.client, await this.capabilities(), { matchId, bucket });
  }

  /** A page of highlights (one match's or every match's, of one status or all), newest first. */
  async highlights(query: HighlightQuery) {
    return listHighlights(this.client, await this.capabilities(), query);
  }

  /** Highlights of `matchIds` that became READY after `sinceMs`, oldest first (for live streams). */
  async highlightsReadySince(matchIds: readonly string[], sinceMs: number) {
    return readySince(this.client, await this.capabilities(), { matchIds, sinceMs });
  }

  /** One highlight by id (its event id), or null. */
  /** Of the given retractions, the `matchId/eventId` of those whose event is stored. */
  async foundRetractions(retractions: ReadonlyArray<{ matchId: string; eventId: string }>) {
    return foundRetractions(this.client, await this.capabilities(), retractions);
  }

  /** The distinct events of a match any feed-integrity rule flagged. */
  async flaggedEvents(matchId: string) {
    return flaggedEvents(this.client, await this.capabilities(), matchId);
  }

  /** What the feed-integrity rules flagged in a match (queries/anomalies.ts). */
  async anomalies(matchId: string) {
    return matchAnomalies(this.client, await this.capabilities(), matchId);
  }

  /** The retractions of a match, oldest first, each with whether its event is stored (retractions.ts). */
  async retractions(matchId: string) {
    return matchRetractions(this.client, await this.capabilities(), matchId);
  }

  async highlight(highlightId: string) {
    return getHighlight(this.client, await this.capabilities(), highlightId);
  }

  async topPlayers(matchId: string, options: { limit: number; by?: PlayerSort }) {
    return topPlayers(this.client, await this.capabilities(), { matchId, ...options });
  }

  async matchPage(params: ListMatchesParams) {
    return matchPage(this.client, await this.capabilities(), params);
  }

  async matchTotals(matchIds: readonly string[]) {
    return matchTotals(this.client, await this.capabilities(), { matchIds });
  }

  async lastInserts(matchIds: readonly string[]) {
    return lastInserts(this.client, await this.capabilities(), { matchIds });
  }

  /**
   * The stats snapshot: the stats version (moves with every insert and retirement; while it stays, no stats answer
   * changes) and the matches without a current seal. The stats reads take it to skip reading their own.
   */
  async statsSnapshot() {
    return statsSnapshot(this.client, await this.capabilities());
  }

  /** Per UTC day of `from`…`to`: matches, distinct events, goals, cards, active players (queries/stats.ts). */
  async dailyStats(range: StatsRangeParams, snapshot?: StatsSnapshot) {
    return dailyStats(this.client, await this.capabilities(), range, { snapshot });
  }

  /** dailyStats computed from the seals and raw rows even when season_days holds the snapshot's version. */
  async dailyStatsComputed(range: StatsRangeParams, snapshot?: StatsSnapshot) {
    return dailyStats(this.client, await this.capabilities(), range, { snapshot, computed: true });
  }

  /** dailyStats with every match read from its raw rows: the baseline the benchmark compares the seals with. */
  async dailyStatsFromEvents(range: StatsRangeParams) {
    return dailyStats(this.client, await this.capabilities(), range, { rawOnly: true });
  }

  /** Every event type with its distinct events in `from`…`to`, most first. */
  async eventTypeStats(range: StatsRangeParams, snapshot?: StatsSnapshot) {
    return eventTypeStats(this.client, await this.capabilities(), range, { snapshot });
  }

  /** Every player with events in `from`…`to`, across matches, ranked by `by`. */
  async playerRanking(params: StatsRangeParams & { by?: StatsPlayerSort }, snapshot?: StatsSnapshot) {
    return playerRanking(this.client, await this.capabilities(), params, { snapshot });
  }

  /** Cohort retention of the players first seen in window 0 (not data retention: that is retention.ts). */
  async cohortRetention(params: CohortRetentionParams, snapshot?: StatsSnapshot) {
    return cohortRetention(this.client, await this.capabilities(), params, { snapshot });
  }
}
