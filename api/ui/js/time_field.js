// The From/To field of the search and dashboard forms (issue 12, Missing 3).
import { h, s } from './dom.js';
import { formTime, timeToMs } from './query.js';
import { zoneLabel } from './timezone.js';

// A From/To field: text (any form the API takes, zoneless read in the chosen zone) plus the
// browser's date-time picker, which fills the text field and switches the range to custom.
export function timeField(name, label, prefix = 'f') {
  const id = `${prefix}-${name}`;
  const text = h('input', {
    id, name, type: 'text', placeholder: 'YYYY-MM-DD HH:MM[:SS]', spellcheck: 'false',
    title: 'In the time zone shown; also 2026-11-26T06:04+01:00, 2026-11-26T05:00Z or 1795000000s',
  });
  const picker = h('input', {
    id: `${id}-picker`, type: 'datetime-local', step: '1', class: 'time-picker', tabindex: '-1',
    'aria-label': `${label}: pick a date and time`, 'data-testid': `${id}-picker`,
  });
  // A calendar drawn in SVG (no emoji font needed).
  const icon = s('svg', { viewBox: '0 0 16 16', 'aria-hidden': 'true' },
    s('rect', { x: 1.5, y: 3, width: 13, height: 11.5, rx: 1.5 }), s('path', { d: 'M1.5 6.5h13M5 1.5v3M11 1.5v3' }));
  const button = h('button', { type: 'button', class: 'icon-button picker-button', title: 'Pick a date and time', 'aria-label': `Pick ${label} date and time` }, icon);
  button.addEventListener('click', () => {
    const form_ = text.form;
    if (form_.elements.range.value !== 'custom') {
      form_.elements.range.value = 'custom';
      form_.elements.range.dispatchEvent(new Event('change'));
    }
    const ms = timeToMs(text.value);
    picker.value = Number.isFinite(ms) ? formTime(ms).replace(' ', 'T') : '';
    try {
      picker.showPicker();
    } catch {
      picker.focus();
    }
  });
  picker.addEventListener('change', () => {
    if (!picker.value) return;
    const form_ = text.form;
    if (form_.elements.range.value !== 'custom') {
      form_.elements.range.value = 'custom';
      form_.elements.range.dispatchEvent(new Event('change'));
    }
    const value = picker.value.replace('T', ' ');
    text.value = value.length === 16 ? `${value}:00` : value;
    text.classList.remove('invalid');
  });
  return h('label', { class: 'field time', for: id },
    h('span', { dataset: { zoneLabel: label } }, `${label} (${zoneLabel()})`),
    h('span', { class: 'time-input' }, text, button, picker));
}
