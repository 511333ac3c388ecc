import type { MatchEvent, Retraction } from '@pitchpulse/contract';
import { IngestClient, type ClientOptions, type EventOutcome } from '../http/ingest-client';
import type { ImportTarget } from './importer';

/**
 * Sends import batches through `POST /api/events/batch` and `POST /api/retractions/batch` (retries 429/503 after
 * Retry-After).
 */
export class HttpTarget implements ImportTarget {
  private readonly client: IngestClient;

  constructor(options: ClientOptions) {
    this.client = new IngestClient(options);
  }

  send(events: MatchEvent[]): Promise<EventOutcome[]> {
    return this.client.sendBatch(events);
  }

  sendRetractions(retractions: Retraction[]): Promise<EventOutcome[]> {
    return this.client.sendRetractionBatch(retractions);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
