import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { COMPRESSIONS, compressionType, registerCodecs, type Compression } from './codecs';

const records = Buffer.from(
  Array.from(
    { length: 200 },
    (_, i) => `{"eventId":"${i}","matchId":"match-${i % 3}","eventType":"pass"}`,
  ).join(''),
);

/** The first bytes each format starts with, as other Kafka clients (librdkafka, Java) expect them. */
const MAGIC: Partial<Record<Compression, Buffer>> = {
  lz4: Buffer.from([0x04, 0x22, 0x4d, 0x18]), // LZ4 frame, 0x184D2204 little-endian
  zstd: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd frame, 0xFD2FB528 little-endian
};

describe('Kafka codecs', () => {
  beforeAll(registerCodecs);

  it('maps every name onto its kafkajs constant and refuses others', () => {
    expect(COMPRESSIONS.map((c) => compressionType(c))).toEqual([
      CompressionTypes.None,
      CompressionTypes.GZIP,
      CompressionTypes.Snappy,
      CompressionTypes.LZ4,
      CompressionTypes.ZSTD,
    ]);
    expect(compressionType()).toBe(CompressionTypes.None);
    expect(() => compressionType('brotli' as Compression)).toThrow(/unknown Kafka compression "brotli"/);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)(
    '%s: the registered codec shrinks records and restores them byte for byte',
    async (compression) => {
      const make = CompressionCodecs[compressionType(compression) as CompressionTypes.GZIP] as () => {
        compress(encoder: { buffer: Buffer }): Promise<Buffer>;
        decompress(buffer: Buffer): Promise<Buffer>;
      };
      const codec = make();
      const packed = await codec.compress({ buffer: records });
      expect(packed.length).toBeLessThan(records.length / 3);
      const magic = MAGIC[compression];
      if (magic) expect(packed.subarray(0, 4)).toEqual(magic);
      expect((await codec.decompress(packed)).equals(records)).toBe(true);
    },
  );

  it('snappy also reads the xerial framing the Java client writes', async () => {
    const codec = CompressionCodecs[CompressionTypes.Snappy]() as {
      compress(encoder: { buffer: Buffer }): Promise<Buffer>;
      decompress(buffer: Buffer): Promise<Buffer>;
    };
    const block = await codec.compress({ buffer: records });
    const header = Buffer.from([130, 83, 78, 65, 80, 80, 89, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(block.length);
    expect((await codec.decompress(Buffer.concat([header, size, block]))).equals(records)).toBe(true);
  });
});
