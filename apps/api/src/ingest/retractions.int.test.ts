import { randomUUID } from 'node:crypto';
import { problemTypeUri } from '@pitchpulse/contract';
import { decodeRecordMessage } from '@pitchpulse/events';
import { readTopic } from '@pitchpulse/kafka';
import { kafkaApi, post, testConfig, uniqueName, type KafkaApi } from '../testing';

/** POST /api/retractions and /api/retractions/batch over real HTTP, writing to a topic of its own. */
describe('retraction routes against the embedded Kafka', () => {
  const topic = uniqueName('api-retractions');
  const keys = ['feed-key-alpha-0123456789'];
  const config = testConfig({ kafka: { eventsTopic: topic }, apiKeys: keys, rateLimit: null });
  const auth = { 'x-api-key': keys[0]! };
  let api: KafkaApi;

  const retraction = (matchId = 'm-var') => ({
    eventId: randomUUID(),
    matchId,
    reason: 'VAR: offside in the build-up',
  });

  beforeAll(async () => {
    api = await kafkaApi(config, 'api-retractions-test');
  });

  afterAll(() => api.close());

  it('202 once in Kafka: on the events topic, keyed by match, with kind and the receive time; counted', async () => {
    const one = retraction();
    const res = await post(`${api.url}/api/retractions`, one, auth);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ eventId: one.eventId, status: 'accepted', timestamp: expect.any(String) });
    const batch = [retraction(), { ...retraction(), reason: '' }, retraction('m-other')];
    const partial = await post(`${api.url}/api/retractions/batch`, { retractions: batch }, auth);
    expect(partial.status).toBe(202);
    expect(partial.body).toEqual({
      status: 'partially_accepted',
      timestamp: expect.any(String),
      accepted: [
        { index: 0, eventId: batch[0]!.eventId },
        { index: 2, eventId: batch[2]!.eventId },
      ],
      rejected: [{ index: 1, errors: [{ path: '/retractions/1/reason', message: expect.any(String) }] }],
    });

    const read = await readTopic(api.kafka, topic, { count: 3 });
    const byId = new Map(read.map((m) => [JSON.parse(m.value!).eventId as string, m]));
    for (const sent of [one, batch[0]!, batch[2]!]) {
      const message = byId.get(sent.eventId)!;
      expect(message.key).toBe(sent.matchId);
      expect(decodeRecordMessage(message.value)).toEqual({
        kind: 'retraction',
        retraction: { kind: 'retraction', ...sent, receivedAt: expect.any(Number) },
      });
    }
    expect(await api.registry.getSingleMetric('retractions_accepted_total')?.get()).toMatchObject({
      values: [{ value: 3 }],
    });
  });

  it('400 invalid-retraction naming every field; a batch with nothing valid lists each item', async () => {
    const bad = await post(
      `${api.url}/api/retractions`,
      { eventId: 'x', matchId: 'has space', extra: 1 },
      auth,
    );
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ type: problemTypeUri('invalid-retraction'), status: 400 });
    const paths = (bad.body.errors as Array<{ path: string }>).map((e) => e.path).sort();
    expect(paths).toEqual(['/eventId', '/extra', '/matchId', '/reason']);

    const none = await post(`${api.url}/api/retractions/batch`, { retractions: [{}, 'x'] }, auth);
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({
      type: problemTypeUri('invalid-retraction'),
      detail: 'None of the 2 retractions is valid',
      rejected: [{ index: 0 }, { index: 1 }],
    });
    const envelope = await post(`${api.url}/api/retractions/batch`, { retractions: [] }, auth);
    expect(envelope.status).toBe(400);
  });

  it('authorised by the same API keys as the events; only POST', async () => {
    expect((await post(`${api.url}/api/retractions`, retraction())).status).toBe(401);
    expect(
      (await post(`${api.url}/api/retractions`, retraction(), { 'x-api-key': 'nope-nope-nope-nope' })).status,
    ).toBe(403);
    const get = await fetch(`${api.url}/api/retractions`);
    expect(get.status).toBe(405);
  });
});
