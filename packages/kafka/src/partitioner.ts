import { Partitioners, type ICustomPartitioner } from 'kafkajs';

const MAX_CACHED_KEYS = 10_000;

/**
 * kafkajs' default partitioner (Java-compatible murmur2 of the key, so other clients agree on where a match
 * goes), memoized per topic, partition count and string key. A live pipeline sees few distinct keys (one per
 * match) and kafkajs otherwise hashes every message with 64-bit Long arithmetic, a large share of its CPU.
 */
export const cachedDefaultPartitioner: ICustomPartitioner = () => {
  const base = Partitioners.DefaultPartitioner();
  const cache = new Map<string, number>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (message.partition !== undefined && message.partition !== null) return message.partition;
    if (typeof message.key !== 'string') return base(args);
    const id = `${topic}\u0000${partitionMetadata.length}\u0000${message.key}`;
    let partition = cache.get(id);
    if (partition === undefined) {
      if (cache.size >= MAX_CACHED_KEYS) cache.clear();
      partition = base(args);
      cache.set(id, partition);
    }
    return partition;
  };
};
