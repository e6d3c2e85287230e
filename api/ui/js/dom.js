// Tiny DOM builders. Every piece of text goes in through textContent (or a text node) and every
// attribute through setAttribute with a fixed name, so data from SIP messages can never become
// markup. Nothing in the UI uses innerHTML, insertAdjacentHTML or inline event handlers.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Appends children: strings and numbers become text nodes, null/undefined/false are skipped,
// arrays are flattened.
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
  return parent;
}

// Sets attributes. `class` takes a string or an array; `dataset` an object; `on` an object of
// event listeners; `style` an object of CSS properties (set through CSSOM, which the CSP allows,
// unlike a style attribute). Everything else is setAttribute(name, String(value)).
function applyAttrs(node, attrs) {
  if (!attrs) return node;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') {
      const names = Array.isArray(value) ? value.filter(Boolean) : String(value).split(/\s+/).filter(Boolean);
      node.classList.add(...names);
    } else if (name === 'dataset') {
      for (const [k, v] of Object.entries(value)) node.dataset[k] = String(v);
    } else if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === 'style') {
      for (const [prop, v] of Object.entries(value)) node.style.setProperty(prop, String(v));
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, String(value));
    }
  }
  return node;
}

// h('td', {class: 'mono'}, message.call_id) -> <td class="mono">…text…</td>
export function h(tag, attrs, ...children) {
  return append(applyAttrs(document.createElement(tag), attrs), children);
}

// The same for SVG elements (namespace-correct, text through text nodes).
export function s(tag, attrs, ...children) {
  return append(applyAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function replaceChildren(node, ...children) {
  clear(node);
  return append(node, children);
}

export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing element #${id}`);
  return node;
}

// Control characters other than tab/LF are made visible as Unicode "control pictures" (NUL -> ␀;
// a CR is one too: callers split lines at CRLF/LF, so any CR left is a bare one that would
// otherwise look like a line break), U+FFFD (the API's stand-in for invalid UTF-8) is kept, and
// invisible format characters that can disguise text (bidi overrides and isolates, zero-width
// characters, line/paragraph separators, BOM) are shown as <U+XXXX>: all wrapped so the
// stylesheet can mark them. Returns nodes for one line of untrusted text.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\ufffd\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
export function visibleText(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(CONTROL)) {
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    const code = match[0].charCodeAt(0);
    const hex = code.toString(16).toUpperCase().padStart(4, '0');
    const picture = code === 0x7f ? '\u2421' : code === 0xfffd ? '\ufffd' : code < 0x20 ? String.fromCharCode(0x2400 + code) : `<U+${hex}>`;
    const title = code === 0xfffd ? 'invalid UTF-8 byte(s)'
      : code < 0x80 ? `control character 0x${code.toString(16).padStart(2, '0')}` : `invisible format character U+${hex}`;
    nodes.push(h('span', { class: 'ctrl', title }, picture));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}
