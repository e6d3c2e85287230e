// One line at the top of the page for errors the user should see (bad filter, API down, ...).
import { byId, h, replaceChildren } from './dom.js';

export function showBanner(text, kind = 'error') {
  const banner = byId('banner');
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Dismiss' }, '×');
  close.addEventListener('click', clearBanner);
  banner.className = `banner ${kind}`;
  replaceChildren(banner, h('span', { 'data-testid': 'banner-text' }, text), close);
  banner.hidden = false;
}

export function clearBanner() {
  const banner = byId('banner');
  banner.hidden = true;
  replaceChildren(banner);
}

export const SESSION_ENDED = 'Your session has ended. Please log in again.';

// An ApiError as one line, naming the parameter the api blamed (once). A 401 means the session
// ended (elsewhere, or it expired): say that, not the api's "a valid bearer token is required".
export function errorText(e) {
  if (e && e.status === 401) return SESSION_ENDED;
  const message = String(e.message || e);
  return e.parameter && !message.startsWith(e.parameter) ? `${e.parameter}: ${message}` : message;
}
