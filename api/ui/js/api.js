// Talks to the sipvault REST API (api/API_CONTRACT.md). The bearer token from POST /api/v1/login
// lives in sessionStorage (per tab, gone when the tab closes) and goes out as an Authorization
// header on every request; it is never put in a URL or a cookie.
//
// Tabs share the session (issue 12, Missing 5) over a same-origin BroadcastChannel, not through
// localStorage: a new tab without a token asks the open ones and keeps the answer in its own
// sessionStorage; a login is offered to tabs still on the login page; a logout ends it in every
// tab. So a link opened in a new tab stays logged in, and the token still never outlives the
// browser's last sipvault tab on disk (see "Sessions in the web UI" in API_CONTRACT.md).

const TOKEN_KEY = 'sipvault.token';
const USER_KEY = 'sipvault.user';

export class ApiError extends Error {
  // status: HTTP status (0 = network failure); code/parameter: from the API's JSON error body.
  constructor(status, code, parameter, message) {
    super(message);
    this.status = status;
    this.code = code;
    this.parameter = parameter;
  }
}

export const session = {
  token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  user() {
    try {
      return JSON.parse(sessionStorage.getItem(USER_KEY) || 'null');
    } catch {
      return null;
    }
  },
  save(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('sipvault.session') : null;
let onSharedLogin = () => {};
let onSharedLogout = () => {};
let answerWaiter = null;

function post(message) {
  try {
    if (channel) channel.postMessage(message);
  } catch {
    // a closed channel: this tab alone
  }
}

if (channel) {
  channel.addEventListener('message', (event) => {
    const data = event.data || {};
    if (data.type === 'ask') {
      // Another tab opened without a token: hand it ours.
      if (session.token()) post({ type: 'session', token: session.token(), user: session.user() });
    } else if (data.type === 'session' && typeof data.token === 'string' && data.token) {
      if (session.token()) return;
      session.save(data.token, data.user || null);
      if (answerWaiter) answerWaiter(true);
      else onSharedLogin();
    } else if (data.type === 'logout') {
      if (!session.token()) return;
      session.clear();
      onSharedLogout();
    }
  });
}

// At start-up without a token: asks the other open tabs for theirs; resolves true when one
// answered within `timeoutMs` (the token is then saved), false otherwise.
export function askOtherTabs(timeoutMs = 300) {
  if (!channel || session.token()) return Promise.resolve(Boolean(session.token()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      answerWaiter = null;
      resolve(false);
    }, timeoutMs);
    answerWaiter = (ok) => {
      clearTimeout(timer);
      answerWaiter = null;
      resolve(ok);
    };
    post({ type: 'ask' });
  });
}

// What to do when another tab logged in (this one had no session) or logged out.
export function setSharedSessionHandlers({ onLogin, onLogout }) {
  if (onLogin) onSharedLogin = onLogin;
  if (onLogout) onSharedLogout = onLogout;
}

// Called on any 401 so the app can send the user back to the login page.
let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

// Called with the missing shards' names when a cluster head's answer is partial (API_CONTRACT.md
// "Cluster"), so the app can say the list may be incomplete.
let onPartial = () => {};
export function setPartialHandler(handler) {
  onPartial = handler;
}

// Builds "/api/v1/<path>?<params>" from a plain object or URLSearchParams; empty values dropped.
export function apiUrl(path, params) {
  const query = new URLSearchParams();
  if (params) {
    const entries = params instanceof URLSearchParams ? params.entries() : Object.entries(params);
    for (const [key, value] of entries) {
      if (value !== undefined && value !== null && String(value) !== '') query.append(key, String(value));
    }
  }
  const qs = query.toString();
  return `/api/v1/${path}${qs ? `?${qs}` : ''}`;
}

async function errorFrom(response) {
  let code = '';
  let parameter = '';
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = String(body.error.code || '');
      parameter = String(body.error.parameter || '');
      message = String(body.error.message || message);
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, parameter, message);
}

async function send(method, path, params, body) {
  const headers = { Accept: 'application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(apiUrl(path, params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'network', '', `cannot reach the sipvault API (${e.message})`);
  }
  if (response.status === 401 && path !== 'login') {
    session.clear();
    onUnauthorized();
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJson(path, params) {
  const body = await (await send('GET', path, params)).json();
  if (body && body.partial === true) onPartial(Array.isArray(body.missing_shards) ? body.missing_shards : []);
  return body;
}

export async function postJson(path, body) {
  const response = await send('POST', path, undefined, body);
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

export async function deleteJson(path) {
  return (await send('DELETE', path)).json();
}

export async function login(username, password) {
  const result = await postJson('login', { username, password });
  if (!result.token) throw new ApiError(500, 'bad_response', '', 'login answered without a token');
  session.save(result.token, { username, role: result.role || '', expires_at: result.expires_at || '' });
  post({ type: 'session', token: result.token, user: session.user() });
  return result;
}

export async function logout() {
  try {
    if (session.token()) await send('POST', 'logout');
  } catch {
    // the token may already be gone server-side; forget it here anyway
  } finally {
    session.clear();
    post({ type: 'logout' });
  }
}

// A file name the user can keep: the server's Content-Disposition name if it gives one, reduced
// to safe characters, else `fallback`.
function downloadName(response, fallback) {
  const disposition = response.headers.get('Content-Disposition') || '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  let name = match ? match[1] : fallback;
  try {
    name = decodeURIComponent(name);
  } catch {
    // keep it as sent
  }
  name = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return name || fallback;
}

// Exports need the Authorization header, so they cannot be plain links: fetch the file, then
// hand it to the browser as a Blob through a temporary object URL and an <a download>.
// `name` is used as it is when `ownName` (a name carrying the Call-ID), else only when the
// server sends none.
export async function download(path, params, name, { ownName = false } = {}) {
  const response = await send('GET', path, params);
  const blob = await response.blob();
  saveBlob(blob, ownName ? name : downloadName(response, name));
  return blob.size;
}

export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoke later: the download reads the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
