// The time zone the UI shows and reads times in (issue 12, Missing 3): "UTC" (the default), "local"
// (the browser's zone) or a named IANA zone ("Europe/Berlin"), remembered in localStorage. Times
// sent to the api and put in links are always absolute (RFC 3339 with Z), so a link means the same
// instant whoever opens it; only what the user sees and types is in this zone.

const ZONE_KEY = 'sipvault.timezone';

// The browser's own IANA zone ("Europe/Berlin"), or "UTC" when it cannot say.
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

// True for a zone name Intl knows ("UTC", "Europe/Berlin").
export function validZone(name) {
  if (!name || typeof name !== 'string') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

// The setting as stored: "UTC", "local" or an IANA name.
export function zoneSetting() {
  let value = null;
  try {
    value = localStorage.getItem(ZONE_KEY);
  } catch {
    // storage disabled: UTC
  }
  return value === 'local' || (value && validZone(value)) ? value : 'UTC';
}

export function setZoneSetting(value) {
  const setting = value === 'local' || validZone(value) ? value : 'UTC';
  try {
    localStorage.setItem(ZONE_KEY, setting);
  } catch {
    // not remembered, still used for this page
  }
  formatters.clear();
}

// The IANA name in effect ("UTC" for UTC).
export function currentZone() {
  const setting = zoneSetting();
  return setting === 'local' ? browserZone() : setting;
}

// The zone as a column heading says it: "UTC", "Europe/Berlin".
export function zoneLabel() {
  const zone = currentZone();
  return zone === 'Etc/UTC' || zone === 'Etc/GMT' ? 'UTC' : zone;
}

// Every zone Intl can name, for the chooser (older browsers: a short list).
export function allZones() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo'];
  }
}

const formatters = new Map();
function formatter(zone) {
  if (!formatters.has(zone)) {
    formatters.set(zone, new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    }));
  }
  return formatters.get(zone);
}

// The wall clock of instant `ms` in `zone`: {year, month, day, hour, minute, second} (numbers).
export function wallClock(ms, zone = currentZone()) {
  if (zone === 'UTC') {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(),
    };
  }
  const parts = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour % 24, minute: parts.minute, second: parts.second };
}

// The zone's offset from UTC at instant `ms`, in ms (Berlin in winter: +3600000).
export function zoneOffsetMs(ms, zone = currentZone()) {
  const w = wallClock(Math.floor(ms / 1000) * 1000, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

// The instant (epoch ms) a wall-clock time names in `zone`; `wallMs` is that wall clock read as if
// it were UTC. In a DST gap the time is read with the offset before the change.
export function wallToInstant(wallMs, zone = currentZone()) {
  if (zone === 'UTC') return wallMs;
  const first = wallMs - zoneOffsetMs(wallMs, zone);
  const second = wallMs - zoneOffsetMs(first, zone);
  return second === first ? first : Math.max(first, second);
}
