import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * kafkajs is installed with `patches/kafkajs@2.2.4.patch`: its encoders take their buffers from Node's pool
 * (`Buffer.allocUnsafe`) instead of a zero-filled ArrayBuffer each. These tests check that the patch is applied and
 * that the bytes kafkajs writes are those of the released encoder, whatever the memory it is given held before.
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

function encodeBatch(encoder: 'patched' | 'released'): Promise<Buffer> {
  const { encodeRecord, recordBatch } = loadCodec(encoder);
  return recordBatch({
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_120,
    lastOffsetDelta: records.length - 1,
    records: records.map(encodeRecord),
  }).then((batch) => batch.buffer);
}

/**
 * `Buffer.allocUnsafe` as it is, but every buffer it hands out is full of 0xff, as reused memory may be: a byte the
 * encoder did not write would show. Restored when `run` settles; how many buffers it handed out is returned.
 */
async function withDirtyMemory<T>(run: () => Promise<T>): Promise<{ result: T; handedOut: number }> {
  const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
  const spy = jest.spyOn(Buffer, 'allocUnsafe').mockImplementation((size) => allocUnsafe(size).fill(0xff));
  try {
    const result = await run();
    return { result, handedOut: spy.mock.calls.length };
  } finally {
    spy.mockRestore();
  }
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

  it('writes a record batch byte for byte as the released encoder does, from memory full of 0xff', async () => {
    const { result: patched, handedOut } = await withDirtyMemory(() => encodeBatch('patched'));
    const released = await encodeBatch('released');
    expect(handedOut).toBeGreaterThan(records.length); // the encoders did take their buffers this way
    expect(patched.length).toBeGreaterThan(8 * 1024); // grown past the first buffer, and past the pool's size
    expect(patched.equals(released)).toBe(true);
  });
});
