import { webAssets } from './assets.js';

/** Escapes text for HTML element content and quoted attribute values: every byte from a room is hostile. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Strict policy: no inline script or style, nothing loaded from elsewhere. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers every page carries. */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts, and the CSRF check needs it.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** A URL path for a memory key: each segment encoded, the slashes kept. */
export function keyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

export function roomPath(room: string): string {
  return `/ui/rooms/${encodeURIComponent(room)}`;
}

export interface PageOptions {
  /** Breadcrumbs after the brand, already escaped HTML. */
  crumbs?: string;
  /** Show the log-out button (the server has a token). */
  logout?: boolean;
}

/** The page shell; `body` must already be escaped HTML. */
export function page(title: string, body: string, options: PageOptions = {}): string {
  const assets = webAssets();
  const logout = options.logout ? `<form method="post" action="/ui/logout"><button class="link" type="submit">Log out</button></form>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · mycelium</title>
<link rel="icon" href="${assets.prefix}favicon.svg"><link rel="stylesheet" href="${assets.prefix}style.css"><script src="${assets.prefix}app.js" defer></script></head>
<body><header class="top"><a class="brand" href="/ui">mycelium</a><span class="crumbs">${options.crumbs ?? ''}</span>${logout}</header>
<main>${body}</main></body></html>`;
}

/** A time as `2026-12-03 07:40`, or a dash. */
export function shortTime(iso: string | null | undefined): string {
  return iso ? escapeHtml(iso.replace('T', ' ').slice(0, 16)) : '—';
}
