import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { cachedDefaultPartitioner } from './partitioner';

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));

describe('cachedDefaultPartitioner', () => {
  it('puts every key where kafkajs (and the Java client) would, also when asked again', () => {
    const cached = cachedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 6, 12]) {
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 500; i++) {
          const args = {
            topic: 't',
            partitionMetadata: metadata(partitions),
            message: { key: `match-${i}`, value: 'v' },
          };
          expect(cached(args)).toBe(reference(args));
        }
      }
    }
  });

  it('keeps an explicit partition and hashes Buffer keys like kafkajs', () => {
    const cached = cachedDefaultPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const partitionMetadata = metadata(6);
    expect(cached({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 4 } })).toBe(
      4,
    );
    const key = Buffer.from('match-9');
    expect(cached({ topic: 't', partitionMetadata, message: { key, value: 'v' } })).toBe(
      reference({ topic: 't', partitionMetadata, message: { key, value: 'v' } }),
    );
  });
});
