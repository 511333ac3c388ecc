import { interpretBatchAnswer } from './ingest-client';

describe('batch answers', () => {
  it('reads the API’s 202 body: accepted by index, rejected by index with errors', () => {
    const outcomes = interpretBatchAnswer(
      {
        status: 'partially_accepted',
        accepted: [
          { index: 0, eventId: 'a' },
          { index: 2, eventId: 'c' },
        ],
        rejected: [{ index: 1, errors: [{ path: '/events/1/teamId', message: 'must be 1 or 2' }] }],
      },
      3,
    );
    expect(outcomes).toEqual([
      { kind: 'accepted' },
      { kind: 'rejected', status: 400, errors: [{ path: '/teamId', message: 'must be 1 or 2' }] },
      { kind: 'accepted' },
    ]);
  });

  it('reads a retraction batch’s answer the same way, its errors named under /retractions/<index>', () => {
    const outcomes = interpretBatchAnswer(
      {
        status: 'partially_accepted',
        accepted: [{ index: 1, eventId: 'b' }],
        rejected: [{ index: 0, errors: [{ path: '/retractions/0/reason', message: 'must not be empty' }] }],
      },
      2,
      'retractions',
    );
    expect(outcomes).toEqual([
      { kind: 'rejected', status: 400, errors: [{ path: '/reason', message: 'must not be empty' }] },
      { kind: 'accepted' },
    ]);
  });

  it('treats an index the answer does not mention as unknown when it lists accepted ones', () => {
    const outcomes = interpretBatchAnswer({ accepted: [{ index: 0 }], rejected: [] }, 2);
    expect(outcomes[1]).toMatchObject({ kind: 'unknown', status: 202 });
  });

  it('takes a bare 202 as every event accepted', () => {
    expect(interpretBatchAnswer({ status: 'accepted' }, 2)).toEqual([
      { kind: 'accepted' },
      { kind: 'accepted' },
    ]);
  });
});
