// Aliases (issue 14, api/API_CONTRACT.md "Aliases"): #/aliases lists the names given to
// prefixes, IP:port and capture ids; an admin adds and deletes them here. Names are the
// operator's text: they go into the page through text nodes only (dom.js), like SIP.
import { deleteJson, getJson, postJson } from './api.js';
import { byId, h, replaceChildren, visibleText } from './dom.js';
import { clearBanner, errorText, showBanner } from './banner.js';

export function initAliases() {
  const form = h('form', { id: 'alias-form', class: 'card field-row', autocomplete: 'off', hidden: true, 'data-testid': 'alias-form' },
    h('label', { class: 'field', for: 'alias-name' }, h('span', null, 'Name'),
      h('input', { id: 'alias-name', name: 'name', type: 'text', maxlength: '64', required: true, placeholder: 'SBC-Frankfurt' })),
    h('label', { class: 'field', for: 'alias-target' }, h('span', null, 'Prefix, IP:port or capture:N'),
      h('input', { id: 'alias-target', name: 'target', type: 'text', maxlength: '64', required: true, placeholder: '192.0.2.0/24' })),
    h('label', { class: 'field', for: 'alias-note' }, h('span', null, 'Note'),
      h('input', { id: 'alias-note', name: 'note', type: 'text', maxlength: '255' })),
    h('div', { class: 'form-buttons' }, h('button', { type: 'submit', class: 'primary', id: 'alias-add' }, 'Add alias')),
    h('p', { id: 'alias-error', class: 'error', role: 'alert', 'data-testid': 'alias-error' }));
  document.querySelector('main').append(
    h('section', { id: 'view-aliases', class: 'view', hidden: true },
      h('div', { class: 'flow-bar card' }, h('h1', null, 'Aliases'), h('span', { class: 'spacer' }),
        h('span', { class: 'muted small' }, 'Shown instead of addresses in lists and ladders; search with alias=NAME')),
      form,
      h('div', { id: 'aliases-list', class: 'table-wrap', 'data-testid': 'aliases-list' })));
  byId('nav').append(h('a', { href: '#/aliases', dataset: { route: 'aliases' } }, 'Aliases'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const error = byId('alias-error');
    error.textContent = '';
    const body = { name: form.elements.name.value, target: form.elements.target.value.trim() };
    if (form.elements.note.value) body.note = form.elements.note.value;
    try {
      await postJson('aliases', body);
      form.reset();
      clearBanner();
      await listAliases(true);
    } catch (e) {
      error.textContent = errorText(e);
    }
  });
}

export async function showAliases(user) {
  const admin = Boolean(user && user.role === 'admin');
  byId('alias-form').hidden = !admin;
  await listAliases(admin);
}

async function listAliases(admin) {
  const list = byId('aliases-list');
  let items;
  try {
    items = (await getJson('aliases')).items || [];
  } catch (e) {
    replaceChildren(list);
    showBanner(errorText(e));
    return;
  }
  if (!items.length) {
    replaceChildren(list, h('p', { class: 'muted pad', 'data-testid': 'aliases-empty' }, 'No aliases yet.'));
    return;
  }
  const rows = items.map((alias) => {
    let remove = '';
    if (admin) {
      remove = h('button', { type: 'button', class: 'link-button', 'data-testid': 'alias-delete' }, 'Delete');
      remove.addEventListener('click', async () => {
        remove.disabled = true;
        try {
          await deleteJson(`aliases/${encodeURIComponent(alias.id)}`);
          await listAliases(admin);
        } catch (e) {
          remove.disabled = false;
          showBanner(errorText(e));
        }
      });
    }
    return h('tr', { dataset: { id: alias.id }, 'data-testid': 'alias-row' },
      h('td', { 'data-testid': 'alias-name' }, visibleText(alias.name || '')),
      h('td', { class: 'mono' }, alias.target || ''),
      h('td', null, alias.kind || ''),
      h('td', null, visibleText(alias.note || '')),
      h('td', null, visibleText(alias.created_by || '')),
      h('td', null, remove));
  });
  replaceChildren(list, h('table', { class: 'grid-table' },
    h('thead', null, h('tr', null, ['Name', 'Target', 'Kind', 'Note', 'Created by', ''].map((t) => h('th', null, t)))),
    h('tbody', null, rows)));
}
