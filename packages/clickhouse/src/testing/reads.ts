import type { Engine } from './engines';
import { MATCHES, type Delivery } from './fixture';
import { distinctEvents, refMetrics, refTimeline, refTopPlayers } from './reference';

/**
 * Asserts (jest) that every per-match read of every engine — metrics, timeline, players — equals what the
 * delivered events imply, for each fixture match.
 */
export async function expectReadsMatch(engines: Engine[], delivered: Delivery[]): Promise<void> {
  const ref = distinctEvents(delivered);
  for (const e of engines) {
    for (const { matchId } of MATCHES) {
      const answers = {
        metrics: (await e.store.metrics(matchId)).value,
        timeline: (await e.store.timeline(matchId, '5m')).value,
        players: (await e.store.topPlayers(matchId, { limit: 5 })).value,
      };
      expect({ engine: e.name, matchId, answers }).toEqual({
        engine: e.name,
        matchId,
        answers: {
          metrics: refMetrics(ref, delivered, matchId),
          timeline: refTimeline(ref, matchId, '5m'),
          players: refTopPlayers(ref, matchId, 5, 'events'),
        },
      });
    }
  }
}
