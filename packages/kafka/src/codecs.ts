import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import SnappyCodec from 'kafkajs-snappy';
import { compressFrame, decompressFrame } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';

/** The record-batch codecs a PitchPulse producer can write; every client made by `createKafka` reads them all. */
export const COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const TYPES: Record<Compression, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

/** zstd's own default level: the speed/size balance Kafka's Java client uses too. */
const ZSTD_LEVEL = 3;

/** What kafkajs hands a codec to compress: its encoder, whose `buffer` is the batch's records. */
interface RecordsEncoder {
  buffer: Buffer;
}

/**
 * LZ4 as Kafka writes it since message format v1 (KIP-57): the standard LZ4 frame, which librdkafka and the Java
 * client both produce and read. kafkajs-lz4 would do the same but builds a native addon at install time.
 */
const lz4Codec = () => ({
  compress: (encoder: RecordsEncoder) => compressFrame(encoder.buffer),
  decompress: (buffer: Buffer) => decompressFrame(buffer),
});

/** A plain zstd frame, as Kafka ≥ 2.1 (KIP-110) writes it. */
const zstdCodec = () => ({
  compress: (encoder: RecordsEncoder) => zstdCompress(encoder.buffer, ZSTD_LEVEL),
  decompress: (buffer: Buffer) => zstdDecompress(buffer),
});

/**
 * Registers the codecs kafkajs lacks (it ships gzip only) in its process-wide table. `createKafka` calls it, so
 * every producer, consumer and tool of the project decodes whatever another one wrote.
 */
export function registerCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = zstdCodec;
}

/** The kafkajs constant for a codec name. */
export function compressionType(compression: Compression = 'none'): CompressionTypes {
  const type = TYPES[compression];
  if (type === undefined)
    throw new RangeError(`unknown Kafka compression "${compression}"; one of ${COMPRESSIONS.join(', ')}`);
  return type;
}
