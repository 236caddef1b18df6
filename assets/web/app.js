// mycelium web page: the live activity feed. Everything from the server is set with textContent
// (never innerHTML): keys and handles are written by agents and are hostile.
(function () {
  'use strict';
  var MAX_ITEMS = 100;

  function kindOf(key) {
    var top = key.split('/')[0];
    var kinds = { messages: 'message', plan: 'plan', claims: 'claim', sessions: 'negotiation', synthesis: 'synthesis', agents: 'agent' };
    return kinds[top] || 'memory';
  }

  function entry(event, room) {
    var li = document.createElement('li');
    var kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = kindOf(String(event.key || ''));
    li.appendChild(kind);
    var what = document.createElement('span');
    what.textContent = String(event.type || 'changed') + ' ';
    li.appendChild(what);
    if (event.type === 'deleted') {
      var gone = document.createElement('span');
      gone.textContent = String(event.key || '');
      li.appendChild(gone);
    } else {
      var link = document.createElement('a');
      link.href = '/ui/rooms/' + encodeURIComponent(room) + '/memory/' + String(event.key || '').split('/').map(encodeURIComponent).join('/');
      link.textContent = String(event.key || '');
      li.appendChild(link);
    }
    var by = document.createElement('span');
    by.className = 'muted';
    by.textContent = (event.by ? ' by ' + String(event.by) : '') + (event.version ? ' · v' + String(event.version) : '') + ' · ' + (event.at ? String(event.at).replace('T', ' ').slice(0, 19) : '');
    li.appendChild(by);
    return li;
  }

  // Coordination parts of the page (board, claims, negotiations, agents) follow the files: when one of
  // their files changes, the page is fetched again and those parts swapped in place. The HTML comes
  // from our server, which escapes every value; DOMParser never runs scripts of what it parses.
  var LIVE_FOLDERS = { plan: true, claims: true, sessions: true, agents: true };
  var refreshTimer = null;
  function refreshLive() {
    refreshTimer = null;
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, 'text/html');
        var parts = document.querySelectorAll('[data-live]');
        for (var i = 0; i < parts.length; i++) {
          // A part the person is working in (an open task editor, a focused field) is left alone
          // until they are done; the next change after that brings it up to date.
          if (parts[i].querySelector('details[open]') || parts[i].contains(document.activeElement)) continue;
          var next = parts[i].id && fresh.getElementById(parts[i].id);
          if (next) parts[i].replaceWith(document.importNode(next, true));
        }
        document.body.setAttribute('data-live-refreshes', String(Number(document.body.getAttribute('data-live-refreshes') || '0') + 1));
      })
      .catch(function () { /* the next change tries again */ });
  }
  function liveChange(key) {
    if (!LIVE_FOLDERS[key.split('/')[0]] || !document.querySelector('[data-live]')) return;
    if (refreshTimer === null) refreshTimer = setTimeout(refreshLive, 250);
  }

  function startFeed(list) {
    var room = list.getAttribute('data-room');
    var since = list.getAttribute('data-since') || '';
    var status = document.getElementById('feed-status');
    function connect() {
      // Continue from the last event seen, so nothing written between page load and (re)connect is lost.
      var url = '/rooms/' + encodeURIComponent(room) + '/events' + (since ? '?since=' + encodeURIComponent(since) : '');
      var source = new EventSource(url);
      source.addEventListener('open', function () { if (status) status.textContent = 'live'; });
      source.addEventListener('error', function () {
        if (status) status.textContent = 'reconnecting…';
        source.close();
        setTimeout(connect, 3000);
      });
      source.addEventListener('change', function (message) {
        var event;
        try { event = JSON.parse(message.data); } catch (e) { return; }
        if (message.lastEventId) since = message.lastEventId;
        if (list.id === 'feed') {
          var empty = list.querySelector('.empty');
          if (empty) empty.remove();
          list.insertBefore(entry(event, room), list.firstChild);
          while (list.children.length > MAX_ITEMS) list.removeChild(list.lastChild);
        }
        list.setAttribute('data-count', String(Number(list.getAttribute('data-count') || '0') + 1));
        liveChange(String(event.key || ''));
      });
    }
    connect();
  }

  // A synthesis started from the page runs as a job of the server: follow its step (textContent
  // only) until it ends, then swap the page's live parts (the job's outcome, the newest synthesis).
  function followJob(card) {
    var url = card.getAttribute('data-job');
    function poll() {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (job) {
          if (!job) return;
          var step = document.getElementById('job-step');
          if (step) step.textContent = String(job.step || '');
          if (job.state === 'running') setTimeout(poll, 400);
          else refreshLive();
        })
        .catch(function () { setTimeout(poll, 2000); });
    }
    setTimeout(poll, 200);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var job = document.getElementById('synthesis-job');
    if (job && job.getAttribute('data-state') === 'running') followJob(job);
    // The room page's feed; a page without one (the negotiations page) names its room on #stream
    // and only follows the stream to keep its live parts up to date.
    var list = document.getElementById('feed') || document.getElementById('stream');
    if (list) startFeed(list);
  });
})();
