/**
 * The dashboard's only script, served from the relay itself as /dashboard.js under a CSP that
 * allows exactly this origin's scripts and connections (no inline code, no eval). It listens to
 * /dashboard/live (server-sent events: the routing core's presence frames for the account's
 * boards) and updates the Status and Last seen cells. Without it the page still works: it shows
 * the status as of loading, and a reload refreshes it.
 */
export const LIVE_SCRIPT_PATH = '/dashboard.js';
export const LIVE_STREAM_PATH = '/dashboard/live';

export const LIVE_SCRIPT = `'use strict';
(function () {
  var table = document.getElementById('devices');
  var indicator = document.getElementById('live');
  if (!table || typeof EventSource !== 'function') return;
  function time(ms) { return new Date(ms).toISOString().slice(0, 16).replace('T', ' ') + ' UTC'; }
  function rowOf(deviceId) {
    var rows = table.querySelectorAll('tr[data-device]');
    for (var i = 0; i < rows.length; i += 1) if (rows[i].getAttribute('data-device') === deviceId) return rows[i];
    return null;
  }
  function show(deviceId, online, at) {
    var row = rowOf(deviceId);
    var cell = row && row.querySelector('[data-status]');
    if (!cell) return;
    var badge = document.createElement('span');
    badge.className = online ? 'online' : 'offline';
    badge.textContent = online ? 'Online now' : 'Offline';
    cell.replaceChildren(badge);
    var seen = row.querySelector('[data-last-seen]');
    if (seen && at && online) seen.textContent = time(at); // connecting is contact; the server records no disconnect time
  }
  var source = new EventSource('${LIVE_STREAM_PATH}');
  source.onopen = function () { if (indicator) indicator.textContent = 'live'; };
  source.onerror = function () { if (indicator) indicator.textContent = 'reconnecting…'; };
  source.onmessage = function (message) {
    var frame;
    try { frame = JSON.parse(message.data); } catch (error) { return; }
    if (frame.type === 'subscribed') {
      frame.endpoints.forEach(function (e) { if (e.device_id) show(e.device_id, e.online, 0); });
    } else if (frame.type === 'presence' && frame.device_id) {
      show(frame.device_id, frame.online, frame.timestamp);
    }
  };
})();
`;
