import fc from 'fast-check';
import { EVENT_TYPES, MAX_BATCH_EVENTS } from '@pitchpulse/contract';
import { validateEvent } from '@pitchpulse/events';
import type { RawRequest } from '../harness/http';

/** What a hostile case tries to break. */
export type Category =
  | 'truncated-json'
  | 'malformed-json'
  | 'wrong-types'
  | 'huge-values'
  | 'deep-nesting'
  | 'prototype-keys'
  | 'content-type'
  | 'oversized-body'
  | 'wrong-method'
  | 'invalid-utf8';

export interface HostileCase {
  category: Category;
  request: RawRequest;
  /** The answers that are right for this input: all of them 4xx. */
  expected: readonly number[];
  /** One line saying what was sent, for failure messages. */
  note: string;
}

export const SINGLE = '/api/events';
export const BATCH = '/api/events/batch';
const SINGLE_LIMIT = 32 * 1024;
const BATCH_LIMIT = 5 * 1024 * 1024;

const FIELDS = ['eventId', 'matchId', 'eventType', 'timestamp', 'teamId', 'playerId', 'metadata'] as const;
const REQUIRED = ['eventId', 'matchId', 'eventType', 'timestamp', 'teamId'] as const;

export type Event = Record<string, unknown>;

/** Events the contract accepts (the base every hostile case is made from). */
export const validEvent: fc.Arbitrary<Event> = fc
  .record(
    {
      eventId: fc.uuid({ version: 4 }),
      matchId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
      eventType: fc.constantFrom(...EVENT_TYPES),
      timestamp: fc
        .date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2090-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
      teamId: fc.constantFrom(1, 2),
      playerId: fc.string({ minLength: 1, maxLength: 64 }),
      metadata: fc.dictionary(
        fc.string({ maxLength: 10 }),
        fc.oneof(fc.integer(), fc.string({ maxLength: 20 })),
        {
          maxKeys: 4,
        },
      ),
    },
    { requiredKeys: [...REQUIRED] },
  )
  .filter((e) => validateEvent(e).ok);

const withJson = (path: string, body: string | Buffer): RawRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body,
});
const route = fc.constantFrom(SINGLE, BATCH);
const wrap = (path: string, event: unknown): unknown => (path === BATCH ? { events: [event] } : event);

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Every strict prefix of a JSON object's text is malformed (the empty one is a missing body). */
const truncated: fc.Arbitrary<HostileCase> = fc.tuple(validEvent, route, fc.nat()).map(([event, path, n]) => {
  const text = JSON.stringify(wrap(path, event));
  const cut = n % text.length;
  return {
    category: 'truncated-json' as const,
    request: withJson(path, text.slice(0, cut)),
    expected: [400],
    note: `${path} cut at ${cut}/${text.length}`,
  };
});

const JSON_BREAKERS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  "'",
  'NaN',
  'undefined',
  '/*',
  '\u0000',
  '\n',
];
const malformed: fc.Arbitrary<HostileCase> = fc
  .oneof(
    // text that is no JSON at all
    fc
      .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }), route)
      .map(([text, path]) => ({ text, path })),
    // a valid body with one spot broken
    fc
      .tuple(validEvent, route, fc.nat(), fc.constantFrom(...JSON_BREAKERS))
      .map(([event, path, n, breaker]) => {
        const text = JSON.stringify(wrap(path, event));
        const at = n % text.length;
        return { text: text.slice(0, at) + breaker + text.slice(at + 1), path };
      }),
    // JavaScript that is not JSON
    fc
      .tuple(
        validEvent,
        route,
        fc.constantFrom('trailing-comma', 'single-quotes', 'comment', 'nan', 'hex', 'bare-key'),
      )
      .map(([event, path, how]) => {
        const text = JSON.stringify(wrap(path, event));
        const broken = {
          'trailing-comma': text.replace(/}$/, ',}'),
          'single-quotes': text.replace(/"/g, "'"),
          comment: `/* c */${text}`,
          nan: text.replace(/"teamId":\d/, '"teamId":NaN'),
          hex: text.replace(/"teamId":\d/, '"teamId":0x1'),
          'bare-key': text.replace('"eventId"', 'eventId'),
        }[how];
        return { text: broken, path };
      }),
  )
  .filter(({ text }) => text.trim().length > 0 && !parses(text))
  .map(({ text, path }) => ({
    category: 'malformed-json' as const,
    request: withJson(path, text),
    expected: [400],
    note: `${path} ${JSON.stringify(text.slice(0, 80))}`,
  }));

const wrongTypes: fc.Arbitrary<HostileCase> = fc
  .oneof(
    // one field holding any JSON value (kept only if the contract refuses it)
    fc.tuple(validEvent, fc.constantFrom(...FIELDS), fc.jsonValue()).map(([event, field, value]) => ({
      ...event,
      [field]: value,
    })),
    // a required field missing
    fc.tuple(validEvent, fc.constantFrom(...REQUIRED)).map(([event, field]) => {
      const copy = { ...event };
      delete copy[field];
      return copy;
    }),
    // an unknown field (typos must surface)
    fc
      .tuple(validEvent, fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue())
      .filter(([, name]) => !(FIELDS as readonly string[]).includes(name))
      .map(([event, name, value]) => ({ ...event, [name]: value })),
    // not an object at all
    fc.jsonValue().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
  )
  .filter((body) => !validateEvent(body).ok)
  .chain((body) =>
    route.map((path) => ({
      category: 'wrong-types' as const,
      request: withJson(path, JSON.stringify(wrap(path, body))),
      expected: [400],
      note: `${path} ${JSON.stringify(body).slice(0, 120)}`,
    })),
  );

const huge: fc.Arbitrary<HostileCase> = fc.oneof(
  // a long string where a short one belongs
  fc
    .tuple(
      validEvent,
      fc.constantFrom('eventId', 'matchId', 'eventType', 'timestamp', 'playerId'),
      fc.integer({ min: 65, max: 300_000 }),
      route,
    )
    .map(([event, field, length, path]) => {
      const body = JSON.stringify(wrap(path, { ...event, [field]: 'x'.repeat(length) }));
      return {
        category: 'huge-values' as const,
        request: withJson(path, body),
        expected: body.length > (path === SINGLE ? SINGLE_LIMIT : BATCH_LIMIT) ? [413] : [400],
        note: `${path} ${field} of ${length} chars`,
      };
    }),
  // a big array in metadata (over the 4 KiB metadata limit, or over the body limit)
  fc.tuple(validEvent, fc.integer({ min: 1_200, max: 20_000 }), route).map(([event, length, path]) => {
    const body = JSON.stringify(
      wrap(path, { ...event, metadata: { list: Array.from({ length }, (_, i) => i) } }),
    );
    return {
      category: 'huge-values' as const,
      request: withJson(path, body),
      expected: body.length > (path === SINGLE ? SINGLE_LIMIT : BATCH_LIMIT) ? [413] : [400],
      note: `${path} metadata array of ${length}`,
    };
  }),
  // more events than a batch may hold
  fc
    .tuple(validEvent, fc.integer({ min: MAX_BATCH_EVENTS + 1, max: 3 * MAX_BATCH_EVENTS }))
    .map(([event, n]) => {
      const body = JSON.stringify({ events: Array.from({ length: n }, () => event) });
      return {
        category: 'huge-values' as const,
        request: withJson(BATCH, body),
        expected: body.length > BATCH_LIMIT ? [413] : [400],
        note: `batch of ${n} events`,
      };
    }),
);

const nest = (open: '[' | '{', depth: number, inner: string): string =>
  open === '['
    ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;

const deep: fc.Arbitrary<HostileCase> = fc
  .tuple(
    validEvent,
    fc.constantFrom<'[' | '{'>('[', '{'),
    fc.constantFrom('metadata', 'field', 'root', 'batch-events'),
    fc.integer({ min: 1, max: 20_000 }),
    route,
  )
  .map(([event, open, where, n, path]) => {
    let text: string;
    let depth = n;
    const eventText = JSON.stringify(event);
    if (where === 'metadata') {
      // deeper than 2048 levels cannot fit 4 KiB of metadata; shallower would be a valid event
      depth = 2049 + (n % 18_000);
      const { metadata: _replaced, ...rest } = event;
      const withMeta = `${JSON.stringify(rest).slice(0, -1)},"metadata":{"a":${nest(open, depth, '1')}}}`;
      text = path === BATCH ? `{"events":[${withMeta}]}` : withMeta;
    } else if (where === 'field') {
      const inner = eventText.replace(/"teamId":\d/, `"teamId":${nest(open, depth, '1')}`);
      text = path === BATCH ? `{"events":[${inner}]}` : inner;
    } else if (where === 'root') {
      text = nest(open, depth, eventText);
    } else {
      // `{"events":[event]}` is one level: a valid batch; two and more are not
      depth = Math.max(2, n);
      path = BATCH;
      text = `{"events":${nest('[', depth, eventText)}}`;
    }
    const limit = path === SINGLE ? SINGLE_LIMIT : BATCH_LIMIT;
    return {
      category: 'deep-nesting' as const,
      request: withJson(path, text),
      expected: Buffer.byteLength(text) > limit ? [413] : [400],
      note: `${path} ${where} nested ${depth} deep with ${open}`,
    };
  });

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__defineGetter__',
  'hasOwnProperty',
  'toString',
  'valueOf',
];
const prototypeKeys: fc.Arbitrary<HostileCase> = fc
  .tuple(
    validEvent,
    fc.constantFrom(...PROTO_KEYS),
    fc.oneof(fc.jsonValue(), fc.constant({ polluted: true }), fc.constant({ prototype: { polluted: true } })),
    fc.constantFrom('event', 'batch-envelope', 'batch-event'),
  )
  .map(([event, key, value, where]) => {
    // Written as text: JSON.stringify would not put an own "__proto__" key on the wire.
    const member = `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    const hostileEvent = `{${member},${JSON.stringify(event).slice(1)}`;
    const [path, text] =
      where === 'event'
        ? [SINGLE, hostileEvent]
        : where === 'batch-event'
          ? [BATCH, `{"events":[${hostileEvent}]}`]
          : [BATCH, `{${member},"events":[${JSON.stringify(event)}]}`];
    return {
      category: 'prototype-keys' as const,
      request: withJson(path, text),
      expected: [400],
      note: `${path} ${where} with ${member.slice(0, 80)}`,
    };
  });

const NOT_JSON_TYPES = [
  'text/plain',
  'text/json',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'application/jsonp',
  'image/png',
  '',
];
const BAD_CHARSETS = ['latin1', 'iso-8859-1', 'windows-1252', 'ascii', 'koi8-r', 'x-unknown'];
const contentType: fc.Arbitrary<HostileCase> = fc
  .tuple(
    validEvent,
    route,
    fc.oneof(
      fc
        .constantFrom(...NOT_JSON_TYPES)
        .map((type) => ({ type: type as string | undefined, encoding: undefined as string | undefined })),
      fc.constant({ type: undefined, encoding: undefined }),
      fc
        .constantFrom(...BAD_CHARSETS)
        .map((cs) => ({ type: `application/json; charset=${cs}`, encoding: undefined })),
      fc
        .constantFrom('gzip', 'deflate', 'br', 'compress', 'x-custom', 'gzip, gzip')
        .map((encoding) => ({ type: 'application/json', encoding })),
    ),
  )
  .map(([event, path, { type, encoding }]) => {
    const headers: Record<string, string> = {};
    if (type !== undefined) headers['content-type'] = type;
    if (encoding !== undefined) headers['content-encoding'] = encoding;
    return {
      category: 'content-type' as const,
      request: { method: 'POST', path, headers, body: JSON.stringify(wrap(path, event)) },
      // a body claimed to be compressed but not: 400 (corrupt) or 415 (unsupported coding)
      expected: encoding !== undefined ? [400, 415] : [415],
      note: `${path} content-type ${JSON.stringify(type)} encoding ${JSON.stringify(encoding)}`,
    };
  });

/** Bodies over the route's limit by 1 byte … `maxExtra` bytes: a valid event padded out in its metadata. */
function oversized(path: string, limit: number, maxExtra: number): fc.Arbitrary<HostileCase> {
  return fc.tuple(validEvent, fc.integer({ min: limit + 1, max: limit + maxExtra })).map(([event, size]) => {
    const base = JSON.stringify(wrap(path, { ...event, metadata: { pad: '' } }));
    const body = base.replace('"pad":""', `"pad":"${'p'.repeat(Math.max(0, size - base.length))}"`);
    return {
      category: 'oversized-body' as const,
      request: withJson(path, body),
      expected: [413],
      note: `${path} body of ${body.length} bytes`,
    };
  });
}

export const oversizedSingle = oversized(SINGLE, SINGLE_LIMIT, 7 * SINGLE_LIMIT);
export const oversizedBatch = oversized(BATCH, BATCH_LIMIT, 1024 * 1024);

const wrongMethod: fc.Arbitrary<HostileCase> = fc
  .tuple(validEvent, route, fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'))
  .map(([event, path, method]) => ({
    category: 'wrong-method' as const,
    request: {
      method,
      path,
      headers: { 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : JSON.stringify(wrap(path, event)),
    },
    expected: [405],
    note: `${method} ${path}`,
  }));

/** Byte sequences that are not UTF-8: stray continuation, overlong, surrogate, truncated, never-valid bytes. */
export const INVALID_UTF8 = [
  [0x80],
  [0xbf],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
  [0xc3, 0x28],
  [0xe2, 0x28, 0xa1],
];

/** A valid event whose free-form strings carry bytes that are not UTF-8: the server cannot know what was meant. */
export const invalidUtf8: fc.Arbitrary<HostileCase> = fc
  .tuple(validEvent, route, fc.constantFrom('playerId', 'metadata'), fc.constantFrom(...INVALID_UTF8))
  .map(([event, path, field, bytes]) => {
    const marker = 'QQQQ';
    const patched =
      field === 'playerId' ? { ...event, playerId: marker } : { ...event, metadata: { note: marker } };
    const text = Buffer.from(JSON.stringify(wrap(path, patched)));
    const at = text.indexOf(marker);
    const body = Buffer.concat([text.subarray(0, at), Buffer.from(bytes), text.subarray(at + marker.length)]);
    return {
      category: 'invalid-utf8' as const,
      request: withJson(path, body),
      expected: [400],
      note: `${path} ${field} holding bytes ${bytes.map((b) => b.toString(16)).join(' ')}`,
    };
  });

/** The generators by category, with how many cases each contributes (≥ 10,000 in all). */
export const HOSTILE: Array<{ category: Category; arbitrary: fc.Arbitrary<HostileCase>; runs: number }> = [
  { category: 'truncated-json', arbitrary: truncated, runs: 1500 },
  { category: 'malformed-json', arbitrary: malformed, runs: 1500 },
  { category: 'wrong-types', arbitrary: wrongTypes, runs: 2000 },
  { category: 'huge-values', arbitrary: huge, runs: 400 },
  { category: 'deep-nesting', arbitrary: deep, runs: 800 },
  { category: 'prototype-keys', arbitrary: prototypeKeys, runs: 1000 },
  { category: 'content-type', arbitrary: contentType, runs: 1000 },
  { category: 'oversized-body', arbitrary: oversizedSingle, runs: 300 },
  { category: 'wrong-method', arbitrary: wrongMethod, runs: 500 },
];
