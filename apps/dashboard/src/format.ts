const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML/SVG markup (element content and quoted attribute values). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });

/** 12345 → "12,345"; anything not a finite number → "—". */
export function formatInt(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? integer.format(value) : '—';
}

/** Milliseconds for people: "0.8 ms", "42 ms", "1.3 s"; missing → "—". */
export function formatMs(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  if (value < 10) return `${value.toFixed(1)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(1)} s`;
}

/** Events per second: "0", "3.4", "1,250". */
export function formatRate(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return value < 100 ? String(Math.round(value * 10) / 10) : integer.format(value);
}

/** "45'" */
export const minuteLabel = (minute: number): string => `${minute}'`;

/** A wall-clock minute (`2024-01-15T14:45:00Z`) as `14:45 UTC`. */
export const utcMinuteLabel = (timestamp: string): string => `${timestamp.slice(11, 16)} UTC`;

/** An ISO time as `14:45:07 UTC`; not a time → "—". */
export function utcTimeLabel(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? `${new Date(t).toISOString().slice(11, 19)} UTC` : '—';
}

/** "just now", "12 s ago", "3 min ago", "2 h ago" from an ISO time. */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const s = Math.round((now - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}
