// Entry point: the hash router and the login page. Routes:
//   #/login?next=...      log in, then go to `next`
//   #/search?...          search (js/search.js); the query string is the search (js/query.js)
//   #/flow?call_id=...    one call's ladder (js/flow.js)
//   #/dashboard?...       message rates (js/dashboard.js)
//   #/share?t=...         a shared call, no login (js/share.js); #/shares the active share links
import { ApiError, login, logout, session, setUnauthorizedHandler } from './api.js';
import { byId } from './dom.js';
import { SESSION_ENDED, clearBanner, showBanner } from './banner.js';
import { closeSearchDetail, initSearch, showSearch } from './search.js';
import { closeFlowDetail, initFlow, showFlow } from './flow.js';
import { initDashboard, showDashboard } from './dashboard.js';
import { hashFor, parseHash } from './query.js';
import { closeSharedDetail, initShare, showShared, showShares } from './share.js';

const VIEWS = ['login', 'search', 'flow', 'dashboard', 'share', 'shares'];

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
  } else if (name === 'shares') {
    showView('shares');
    showShares(session.user());
  } else if (name === 'search') {
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
      location.hash = /^#\/(search|flow|dashboard|shares)\b/.test(next) ? next : hashFor('search');
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

setUnauthorizedHandler(() => goToLogin(SESSION_ENDED));
initLogin();
initSearch();
initFlow();
initShare();
initDashboard();
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') {
    closeSearchDetail();
    closeFlowDetail();
    closeSharedDetail();
  }
});
window.addEventListener('hashchange', route);
route();
