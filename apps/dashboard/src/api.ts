import type {
  DailyStats,
  HighlightPage,
  MatchAnomalies,
  MatchList,
  MatchMetrics,
  MatchRetractions,
  PlayerLeaderboard,
  StatsPlayerSort,
  Timeline,
  TopEvents,
  TopPlayer,
} from '@pitchpulse/contract';

/** A failed API call, with the problem's `detail` (RFC 9457) when the API sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function request(path: string, accept: string, timeoutMs: number): Promise<Response> {
  const res = await fetch(path, {
    headers: { accept },
    signal: AbortSignal.timeout(timeoutMs),
    cache: 'no-store',
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const problem = (await res.json()) as { title?: string; detail?: string };
      message = problem.detail ?? problem.title ?? message;
    } catch {
      // not a problem document
    }
    throw new ApiError(res.status, message);
  }
  return res;
}

async function getJson<T>(path: string, timeoutMs = 8000): Promise<T> {
  return (await (await request(path, 'application/json', timeoutMs)).json()) as T;
}

const match = (id: string) => `api/matches/${encodeURIComponent(id)}`;

// Relative URLs: the page works wherever the api mounts it.
export const api = {
  matches: (limit: number, offset: number) =>
    getJson<MatchList>(`api/matches?limit=${limit}&offset=${offset}`),
  metrics: (id: string) => getJson<MatchMetrics>(`${match(id)}/metrics`),
  timeline: (id: string) => getJson<Timeline>(`${match(id)}/timeline?bucket=1m`),
  highlights: (id: string, limit: number) => getJson<HighlightPage>(`${match(id)}/highlights?limit=${limit}`),
  players: async (id: string, limit: number): Promise<TopPlayer[]> => {
    const body = await getJson<TopPlayer[] | { items: TopPlayer[] }>(`${match(id)}/players?limit=${limit}`);
    return Array.isArray(body) ? body : body.items;
  },
  /** The match's retractions; none when the API knows nothing of the match (404). */
  retractions: async (id: string): Promise<MatchRetractions> => {
    try {
      return await getJson<MatchRetractions>(`${match(id)}/retractions`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404)
        return { matchId: id, total: 0, notFound: 0, items: [] };
      throw err;
    }
  },
  /** What the feed-integrity rules flagged in the match; nothing when the API knows nothing of the match (404). */
  anomalies: async (id: string): Promise<MatchAnomalies> => {
    try {
      return await getJson<MatchAnomalies>(`${match(id)}/anomalies`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { matchId: id, flaggedEvents: 0, rules: [] };
      throw err;
    }
  },
  streamUrl: (id: string) => `${match(id)}/stream`,
  /** The stats across matches of a range of UTC days (`YYYY-MM-DD`). */
  stats: {
    daily: (from: string, to: string) => getJson<DailyStats>(`api/stats/daily?from=${from}&to=${to}`),
    topEvents: (from: string, to: string) => getJson<TopEvents>(`api/stats/top-events?from=${from}&to=${to}`),
    players: (from: string, to: string, by: StatsPlayerSort, limit: number, offset: number) =>
      getJson<PlayerLeaderboard>(
        `api/stats/players?from=${from}&to=${to}&by=${by}&limit=${limit}&offset=${offset}`,
      ),
  },
  /** The api's Prometheus exposition. */
  prometheus: async (): Promise<string> => (await request('metrics', 'text/plain', 5000)).text(),
};
