import type { MatchEvent } from '@pitchpulse/contract';
import { IngestClient, type ClientOptions, type EventOutcome } from '../http/ingest-client';
import type { ImportTarget } from './importer';

/** Sends import batches through `POST /api/events/batch` (retries 429/503 after Retry-After). */
export class HttpTarget implements ImportTarget {
  private readonly client: IngestClient;

  constructor(options: ClientOptions) {
    this.client = new IngestClient(options);
  }

  send(events: MatchEvent[]): Promise<EventOutcome[]> {
    return this.client.sendBatch(events);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
