// Entry point: the hash router and the login page. Routes:
//   #/login?next=...      log in, then go to `next`
//   #/search?...          search (js/search.js); the query string is the search (js/query.js)
//   #/flow?call_id=...    one call's ladder (js/flow.js)
//   #/dashboard?...       message rates (js/dashboard.js)
//   #/keepalives?...      summarized messages per peer pair (js/summaries.js)
//   #/share?t=...         a shared call, no login (js/share.js); #/shares the active share links
//   #/aliases             names for addresses and capture ids (js/aliases.js; admins edit)
import {
  ApiError, askOtherTabs, login, logout, session, setPartialHandler, setSharedSessionHandlers, setUnauthorizedHandler,
} from './api.js';
import { byId, h } from './dom.js';
import { SESSION_ENDED, clearBanner, showBanner } from './banner.js';
import { closeSearchDetail, focusFirstResult, initSearch, showSearch } from './search.js';
import { closeFlowDetail, focusFirstArrow, initFlow, showFlow } from './flow.js';
import { initDashboard, showDashboard } from './dashboard.js';
import { initSummaries, showSummaries } from './summaries.js';
import { hashFor, parseHash } from './query.js';
import { closeSharedDetail, initShare, showShared, showShares } from './share.js';
import { initAliases, showAliases } from './aliases.js';
import { allZones, browserZone, setZoneSetting, zoneLabel, zoneSetting } from './timezone.js';

const VIEWS = ['login', 'search', 'flow', 'dashboard', 'keepalives', 'share', 'shares', 'aliases'];
// The last search shown, where "/" goes back to from another page.
let lastSearchHash = '';

function showView(name) {
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== name;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.route === name || (name === 'flow' && link.dataset.route === 'search'));
  }
  const user = session.user();
  const signedIn = Boolean(session.token());
  byId('nav').hidden = !signedIn;
  byId('session').hidden = !signedIn;
  byId('session-user').textContent = user ? `${user.username} (${user.role || '?'})` : '';
}

function goToLogin(reason) {
  const { name } = parseHash(location.hash);
  const next = name && name !== 'login' ? location.hash : '';
  location.hash = hashFor('login', next ? { next } : null);
  if (reason) showBanner(reason, 'info');
}

function route() {
  const { name, params } = parseHash(location.hash);
  if (name === 'login') {
    showView('login');
    const username = byId('login-username');
    if (!username.value) username.focus();
    else byId('login-password').focus();
    return;
  }
  if (name === 'share') {
    showView('share');
    showShared(params);
    return;
  }
  if (!session.token()) {
    goToLogin();
    return;
  }
  if (name === 'flow') {
    showView('flow');
    showFlow(params);
  } else if (name === 'dashboard') {
    showView('dashboard');
    showDashboard(params);
  } else if (name === 'keepalives') {
    showView('keepalives');
    showSummaries(params);
  } else if (name === 'shares') {
    showView('shares');
    showShares(session.user());
  } else if (name === 'aliases') {
    showView('aliases');
    showAliases(session.user());
  } else if (name === 'search') {
    lastSearchHash = location.hash;
    showView('search');
    showSearch(params);
  } else {
    location.replace(hashFor('search'));
  }
}

function initLogin() {
  const form = byId('login-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = byId('login-button');
    const error = byId('login-error');
    error.textContent = '';
    button.disabled = true;
    try {
      await login(form.elements.username.value, form.elements.password.value);
      form.elements.password.value = '';
      clearBanner();
      const next = parseHash(location.hash).params.get('next') || '';
      // Only ever follow an in-app route.
      location.hash = /^#\/(search|flow|dashboard|keepalives|shares|aliases)\b/.test(next) ? next : hashFor('search');
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401
        ? 'Wrong user name or password.'
        : e.message;
    } finally {
      button.disabled = false;
    }
  });
  byId('logout').addEventListener('click', async () => {
    await logout();
    location.hash = hashFor('login');
  });
}

// The time zone chooser (timezone.js): UTC, the browser's zone, or any IANA zone; remembered.
function initTimeZone() {
  const select = byId('tz-select');
  const local = browserZone();
  select.append(
    h('option', { value: 'UTC' }, 'UTC'),
    h('option', { value: 'local' }, `Browser (${local})`),
    h('optgroup', { label: 'All zones' },
      allZones().filter((z) => z !== 'UTC').map((z) => h('option', { value: z }, z))));
  // A remembered alias ("Asia/Kolkata" where Intl lists "Asia/Calcutta") still gets its option.
  if (![...select.options].some((o) => o.value === zoneSetting())) select.append(h('option', { value: zoneSetting() }, zoneSetting()));
  select.value = zoneSetting();
  select.addEventListener('change', () => {
    setZoneSetting(select.value);
    applyZoneLabels();
    route();  // redraw what is on screen in the new zone
  });
  applyZoneLabels();
}

function applyZoneLabels() {
  for (const span of document.querySelectorAll('[data-zone-label]')) {
    span.textContent = `${span.dataset.zoneLabel} (${zoneLabel()})`;
  }
}

// Keys: Escape closes a detail panel; "/" focuses the search (from any page, unless typing);
// ArrowDown with nothing focused goes to the first result row or ladder arrow (then arrows move).
function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
}

function initKeys() {
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      closeSearchDetail();
      closeFlowDetail();
      closeSharedDetail();
    } else if (event.key === '/' && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      if (!session.token()) return;
      event.preventDefault();
      const focusSearch = () => {
        const field = byId('f-from_user');
        field.focus();
        field.select();
      };
      if (byId('view-search').hidden) {
        window.addEventListener('hashchange', focusSearch, { once: true });  // after route() showed it
        location.hash = lastSearchHash || hashFor('search');
      } else {
        focusSearch();
      }
    } else if (event.key === 'ArrowDown' && (event.target === document.body || !event.target)) {
      const moved = !byId('view-search').hidden ? focusFirstResult() : !byId('view-flow').hidden && focusFirstArrow();
      if (moved) event.preventDefault();
    }
  });
}

setUnauthorizedHandler(() => goToLogin(SESSION_ENDED));
// A cluster head with shards down answers from the others: say which (the banner escapes text).
setPartialHandler((shards) =>
  showBanner(`Partial answer: shard${shards.length === 1 ? '' : 's'} ${shards.join(', ')} did not answer; ` +
    'results from the other shards only.', 'info'));
setSharedSessionHandlers({
  // Another tab logged in while this one showed the login page: continue where it was going.
  onLogin: () => {
    if (parseHash(location.hash).name !== 'login') return;
    const next = parseHash(location.hash).params.get('next') || '';
    location.hash = /^#\/(search|flow|dashboard|keepalives|shares|aliases)\b/.test(next) ? next : hashFor('search');
  },
  onLogout: () => {
    location.hash = hashFor('login');
    showBanner('You logged out in another tab.', 'info');
  },
});
initLogin();
initSearch();
initFlow();
initShare();
initAliases();
initDashboard();
initSummaries();
initTimeZone();
initKeys();
window.addEventListener('hashchange', route);
// A new tab asks the open ones for their session before it shows the login page.
askOtherTabs().then(route);
