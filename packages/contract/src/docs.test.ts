import fs from 'node:fs';
import path from 'node:path';
import { generatedDocs } from './write-docs';

describe('generated documentation', () => {
  it.each(Object.entries(generatedDocs()))(
    '%s is what the contract generates (run `pnpm contract:docs`)',
    (file, text) => {
      const committed = fs.readFileSync(path.resolve(__dirname, '../../..', file), 'utf8');
      expect(committed).toBe(text);
    },
  );

  it('documents every read response, both probes, the problem document and the Kafka message', () => {
    const doc = generatedDocs()['docs/contract.md']!;
    for (const heading of [
      'MatchMetrics',
      'MatchList',
      'Timeline',
      'HighlightPage',
      'PlayerList',
      'Health',
      'Readiness',
      'Problem',
      'StoredEvent',
      'FailureHeaders',
      'PeakMinute',
      'EngagementPeriod',
    ]) {
      expect(doc).toContain(`### ${heading}\n`);
    }
  });
});
