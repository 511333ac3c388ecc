import { Readable } from 'node:stream';
import { readRows, type ImportFormat } from './read';
import type { Row } from './rows';

const HEADER = 'eventId,matchId,eventType,timestamp,teamId,playerId,metadata';
const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Feeds the text in small chunks, so records and even CRLF pairs straddle chunk borders. */
async function rows(text: string, format: ImportFormat, fromLine = 1, chunk = 7): Promise<Row[]> {
  const buffer = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += chunk) chunks.push(buffer.subarray(i, i + chunk));
  const out: Row[] = [];
  for await (const row of readRows(Readable.from(chunks), format, fromLine)) out.push(row);
  return out;
}

const summary = (r: Row[]): Array<[number, number, string]> =>
  r.map((row) => [
    row.line,
    row.endLine,
    row.event
      ? `ok ${row.event.eventId.slice(-2)}`
      : row.retraction
        ? `retraction ${row.retraction.eventId.slice(-2)}`
        : row.errors!.map((e) => `${e.path} ${e.message}`).join('; '),
  ]);

describe('CSV rows', () => {
  const lines = [
    HEADER, //                                                                                       line 1
    `${id(1)},m1,goal,2024-05-18T14:03:00.123Z,1,p9,"{""minute"":3,""scorer"":""A, B""}"`, //       line 2
    `${id(2)},m1,pass,2024-05-18T14:04:00Z,2,,"{""minute"":4,`, //                                  line 3 (quoted JSON spans 3 lines)
    `""note"":""two lines""`, //                                                                     line 4
    `}"`, //                                                                                         line 5
    '', //                                                                                           line 6 (empty)
    `${id(3)},m1,pass,2024-05-18T14:04:00Z,3,,`, //                                                  line 7: bad teamId
    `${id(4)},m1,shot,yesterday,1,,{not json}`, //                                                   line 8: two errors
    `${id(5)},m1,foul,2024-05-18T14:05:00Z,1`, //                                                    line 9: 5 fields
    `${id(6)},m1,corner,2024-05-18T14:06:00Z,2,"p""7",`, //                                          line 10
  ];

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('reports the line each record starts on, also across quoted newlines (%s)', async (_name, eol) => {
    const result = await rows(lines.join(eol) + eol, 'csv');
    expect(summary(result)).toEqual([
      [2, 2, 'ok 01'],
      [3, 5, 'ok 02'],
      [7, 7, '/teamId must be 1 or 2'],
      [
        8,
        8,
        expect.stringMatching(
          /^\/metadata is not valid JSON \(.+\); \/timestamp must be an RFC 3339 date-time/,
        ),
      ],
      [9, 9, '/ has 5 fields, the header has 7'],
      [10, 10, 'ok 06'],
    ]);
    expect(result[0]!.event!.metadata).toEqual({ minute: 3, scorer: 'A, B' });
    expect(result[1]!.event!.metadata).toEqual({ minute: 4, note: 'two lines' });
    expect(result[5]!.event!.playerId).toBe('p"7');
  });

  it('skips records that start before --from-line', async () => {
    const result = await rows(lines.join('\n'), 'csv', 4);
    expect(result.map((r) => r.line)).toEqual([7, 8, 9, 10]);
    expect((await rows(lines.join('\n'), 'csv', 3)).map((r) => r.line)).toEqual([3, 7, 8, 9, 10]);
  });

  it('accepts columns in any order and a BOM', async () => {
    const text = `\ufeffteamId,eventType,matchId,timestamp,eventId\n1,corner,m1,2024-05-18T14:06:00Z,${id(9)}\n`;
    expect(summary(await rows(text, 'csv'))).toEqual([[2, 2, 'ok 09']]);
  });

  it('refuses a header with unknown, repeated or missing columns', async () => {
    await expect(rows('eventId,matchId,eventType,timestamp,teamId,minute\n', 'csv')).rejects.toThrow(
      'line 1: unknown column "minute"; the columns are the contract\'s fields',
    );
    await expect(rows('eventId,eventId,matchId,eventType,timestamp,teamId\n', 'csv')).rejects.toThrow(
      'column "eventId" appears twice',
    );
    await expect(rows('eventId,matchId,eventType\n', 'csv')).rejects.toThrow(
      'line 1: missing columns timestamp, teamId',
    );
    await expect(rows('', 'csv')).rejects.toThrow('the file is empty');
  });

  it('reads retractions from the kind and reason columns, among events', async () => {
    const text = [
      `${HEADER},kind,reason`,
      `${id(1)},m1,goal,2024-05-18T14:03:00Z,1,,,,`, //                      line 2: an event
      `${id(1)},m1,,,,,,retraction,VAR review: goal disallowed`, //          line 3: its retraction
      `${id(2)},m1,pass,2024-05-18T14:04:00Z,2,,,event,`, //                 line 4: kind "event" is an event
      `${id(3)},m1,,,,,,retraction,`, //                                     line 5: no reason
      `${id(4)},m1,goal,2024-05-18T14:05:00Z,1,,,retraction,"VAR, offside"`, // line 6: event fields on a retraction
      `${id(5)},m1,,,,,,goal,x`, //                                          line 7: unknown kind
      `${id(6)},m1,pass,2024-05-18T14:06:00Z,2,,,,a reason`, //             line 8: a reason on an event
    ].join('\n');
    const result = await rows(text, 'csv');
    expect(summary(result)).toEqual([
      [2, 2, 'ok 01'],
      [3, 3, 'retraction 01'],
      [4, 4, 'ok 02'],
      [5, 5, '/reason is required'],
      [6, 6, expect.stringMatching(/^\/eventType is not a known field.*\/timestamp is not a known field/)],
      [7, 7, '/kind must be "retraction", or "event" (the same as no kind)'],
      [8, 8, '/reason is not a known field (unknown fields are rejected)'],
    ]);
    expect(result[1]!.retraction).toEqual({
      eventId: id(1),
      matchId: 'm1',
      reason: 'VAR review: goal disallowed',
    });
  });

  it('takes a file of retractions only, without the event columns', async () => {
    const text = `eventId,matchId,kind,reason\n${id(7)},m2,retraction,disallowed\n${id(8)},m2,,disallowed\n`;
    expect(summary(await rows(text, 'csv'))).toEqual([
      [2, 2, 'retraction 07'],
      [3, 3, expect.stringMatching(/^\/eventType is required; .*\/reason is not a known field/)],
    ]);
    await expect(rows('eventId,matchId,kind\n', 'csv')).rejects.toThrow(
      'line 1: missing columns eventType, timestamp, teamId',
    );
  });

  it('stops at a CSV syntax error, naming the line where the broken record starts', async () => {
    const text = [
      HEADER,
      `${id(1)},m1,goal,2024-05-18T14:03:00Z,1,,`,
      '',
      `${id(2)},m1,"pa"ss,2024-05-18T14:03:00Z,1,,`,
      `${id(3)},m1,pass,2024-05-18T14:03:00Z,1,,`,
    ].join('\n');
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const row of readRows(Readable.from([Buffer.from(text)]), 'csv')) seen.push(row.line);
      })(),
    ).rejects.toThrow(/^line 4: CSV syntax error: Invalid Closing Quote/);
    expect(seen).toEqual([2]);
  });
});

describe('NDJSON rows', () => {
  it('reports each line’s number, skipping blank lines', async () => {
    const good = (n: number) =>
      JSON.stringify({
        eventId: id(n),
        matchId: 'm1',
        eventType: 'pass',
        timestamp: '2024-05-18T14:03:00Z',
        teamId: 1,
      });
    const text = [
      good(1),
      '',
      '{"eventId": ',
      good(3),
      JSON.stringify({
        eventId: id(4),
        matchId: 'm1',
        eventType: 'pass',
        timestamp: '2024-05-18T14:03:00Z',
        teamId: 1,
        extra: 1,
      }),
      '[]',
    ].join('\r\n');
    expect(summary(await rows(text, 'ndjson'))).toEqual([
      [1, 1, 'ok 01'],
      [3, 3, expect.stringMatching(/^\/ is not valid JSON \(.+\)$/)],
      [4, 4, 'ok 03'],
      [5, 5, '/extra is not a known field (unknown fields are rejected)'],
      [6, 6, '/ must be object'],
    ]);
    expect((await rows(text, 'ndjson', 4)).map((r) => r.line)).toEqual([4, 5, 6]);
  });

  it('reads a line with "kind": "retraction" as a retraction, validated against its contract', async () => {
    const retraction = (extra: object) =>
      JSON.stringify({ kind: 'retraction', eventId: id(1), matchId: 'm1', reason: 'VAR: offside', ...extra });
    const text = [
      retraction({}),
      retraction({ reason: '' }),
      retraction({ teamId: 1 }),
      JSON.stringify({
        kind: 'event',
        eventId: id(2),
        matchId: 'm1',
        eventType: 'goal',
        timestamp: '2024-05-18T14:03:00Z',
        teamId: 1,
      }),
      JSON.stringify({ kind: 'Retraction', eventId: id(3), matchId: 'm1', reason: 'x' }),
    ].join('\n');
    expect(summary(await rows(text, 'ndjson'))).toEqual([
      [1, 1, 'retraction 01'],
      [2, 2, expect.stringMatching(/^\/reason must NOT have fewer than 1 characters/)],
      [3, 3, '/teamId is not a known field (unknown fields are rejected)'],
      [4, 4, 'ok 02'],
      [5, 5, '/kind must be "retraction", or "event" (the same as no kind)'],
    ]);
  });
});
