import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * kafkajs is installed with `patches/kafkajs@2.2.4.patch`: its encoders take their buffers from Node's pool
 * (`Buffer.allocUnsafe`) instead of a zero-filled ArrayBuffer each. These tests check that the patch is applied and
 * that the bytes kafkajs writes are those of the released encoder, whatever the pooled memory held before.
 */
const load = createRequire(__filename);
const kafkajsDir = path.dirname(load.resolve('kafkajs/package.json'));
const encoderPath = path.join(kafkajsDir, 'src/protocol/encoder.js');
const recordBatchPath = path.join(kafkajsDir, 'src/protocol/recordBatch/v0/index.js');
const recordPath = path.join(kafkajsDir, 'src/protocol/recordBatch/record/v0/index.js');

interface EncoderInstance {
  buf: Buffer;
  offset: number;
  buffer: Buffer;
}
type EncoderClass = (new (initialSize?: number) => EncoderInstance) & { nextPowerOfTwo(n: number): number };
interface RawRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer;
  value: Buffer;
  headers: Record<string, string>;
}
type RecordBatch = (batch: {
  firstTimestamp: number;
  maxTimestamp: number;
  lastOffsetDelta: number;
  records: EncoderInstance[];
}) => Promise<EncoderInstance>;
type EncodeRecord = (record: RawRecord) => EncoderInstance;

/** The encoder as kafkajs 2.2.4 released it: every buffer zero-filled, none from the pool. */
function releasedEncoder(Patched: EncoderClass): EncoderClass {
  return class Released extends Patched {
    constructor(initialSize?: number) {
      super(initialSize);
      this.buf = Buffer.alloc(this.buf.length);
    }

    ensureAvailable(length: number): void {
      if (this.offset + length <= this.buf.length) return;
      const grown = Buffer.alloc(Patched.nextPowerOfTwo(this.offset + length));
      this.buf.copy(grown, 0, 0, this.offset);
      this.buf = grown;
    }
  };
}

/** kafkajs's record and record-batch encoders, loaded afresh over the patched or the released encoder. */
function loadCodec(encoder: 'patched' | 'released'): {
  encodeRecord: EncodeRecord;
  recordBatch: RecordBatch;
} {
  let codec: { encodeRecord: EncodeRecord; recordBatch: RecordBatch } | undefined;
  jest.isolateModules(() => {
    if (encoder === 'released') {
      jest.doMock(encoderPath, () => releasedEncoder(jest.requireActual<EncoderClass>(encoderPath)));
    }
    // jest's own require, which the mock above applies to (createRequire's would bypass it)
    /* eslint-disable @typescript-eslint/no-require-imports */
    codec = {
      encodeRecord: require(recordPath) as EncodeRecord,
      recordBatch: (require(recordBatchPath) as { RecordBatch: RecordBatch }).RecordBatch,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
  });
  return codec!;
}

async function encodeBatch(encoder: 'patched' | 'released'): Promise<Buffer> {
  const { encodeRecord, recordBatch } = loadCodec(encoder);
  dirtyThePool();
  const batch = await recordBatch({
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_120,
    lastOffsetDelta: records.length - 1,
    records: records.map(encodeRecord),
  });
  return batch.buffer;
}

/** Fills Node's buffer pool with 0xff so that a byte left unwritten would show. */
function dirtyThePool(): void {
  for (let i = 0; i < 64; i++) Buffer.allocUnsafe(1024).fill(0xff);
}

const records: RawRecord[] = Array.from({ length: 40 }, (_, i) => ({
  offsetDelta: i,
  timestampDelta: i * 3,
  key: Buffer.from(`match-${i % 7}`),
  value: Buffer.from('x'.repeat(50 + i * 40)),
  headers: { 'x-request-id': `request-${i}`, traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
}));

describe("kafkajs's encoder (patched)", () => {
  it('takes its buffers from the pool: the patch is applied', () => {
    const Encoder = load(encoderPath) as EncoderClass;
    expect(new Encoder().buf.buffer.byteLength).toBe(Buffer.poolSize);
  });

  it('writes a record batch byte for byte as the released encoder does, over a dirty pool', async () => {
    const patched = await encodeBatch('patched');
    const released = await encodeBatch('released');
    expect(patched.length).toBeGreaterThan(8 * 1024); // grown past the first buffer, and past the pool's size
    expect(patched.equals(released)).toBe(true);
  });
});
