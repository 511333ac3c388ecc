/**
 * RFC 3339 date-times (section 5.6): `T`, `t` or a space between date and time, an offset with a colon or Z. The
 * one parser for timestamps: the contract's `date-time` format and the ClickHouse row both use it, so whatever
 * the API accepts the consumer can store. It runs twice per event on the ingest and consumer hot paths, so it
 * reads character codes at fixed positions (no regex match array, no Date) — tested against Date.parse.
 */

const DIGIT_0 = 48;

/** The number written by `count` ASCII digits at `from`, or -1 if one of them is not a digit. */
function digitsAt(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const digit = text.charCodeAt(i) - DIGIT_0;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const is = (text: string, at: number, char: string): boolean => text.charCodeAt(at) === char.charCodeAt(0);

/**
 * Epoch milliseconds of an RFC 3339 date-time (offset applied, digits past milliseconds truncated), or
 * undefined when the text is not one: a day the month does not have, an hour past 23, an offset past 23:59. A
 * leap second (`:60`, only in a minute's last second) is read as the next minute's first millisecond.
 */
export function parseTimestampMs(text: string): number | undefined {
  if (
    text.length < 20 ||
    !is(text, 4, '-') ||
    !is(text, 7, '-') ||
    !is(text, 13, ':') ||
    !is(text, 16, ':')
  ) {
    return undefined;
  }
  const separator = text[10];
  if (separator !== 'T' && separator !== 't' && separator !== ' ') return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  if (second === 60 && minute !== 59) return undefined;

  let at = 19;
  let millis = 0;
  if (is(text, at, '.')) {
    const first = ++at;
    for (; at < text.length; at++) {
      const digit = text.charCodeAt(at) - DIGIT_0;
      if (digit < 0 || digit > 9) break;
      if (at - first < 3) millis += digit * (at === first ? 100 : at === first + 1 ? 10 : 1);
    }
    if (at === first) return undefined;
  }

  let offsetMinutes = 0;
  const zone = text[at];
  if (zone === 'Z' || zone === 'z') {
    if (at + 1 !== text.length) return undefined;
  } else if (zone === '+' || zone === '-') {
    if (at + 6 !== text.length || !is(text, at + 3, ':')) return undefined;
    const offsetHours = digitsAt(text, at + 1, 2);
    const offsetMins = digitsAt(text, at + 4, 2);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) return undefined;
    offsetMinutes = (zone === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  } else {
    return undefined;
  }

  const seconds =
    daysFromCivil(year, month, day) * 86_400 + hour * 3600 + (minute - offsetMinutes) * 60 + second;
  return seconds * 1000 + millis;
}

/** True when `text` is an RFC 3339 date-time (the contract's `date-time` format). */
export function isRfc3339DateTime(text: string): boolean {
  return parseTimestampMs(text) !== undefined;
}
