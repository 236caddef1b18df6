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

  // Coordination parts of the page (board, claims, negotiations, agents) follow the files. The
  // event names the key; only the parts that key's folder shows are asked for (GET .../live), each
  // rendered by the server's own views, which escape every value; DOMParser never runs scripts of
  // what it parses. An agent's card also moves the board's stalled marks and the claims' stale ones.
  var PARTS_OF = {
    plan: ['plan-board'],
    claims: ['claims-card'],
    sessions: ['negotiations-card'],
    agents: ['agents-card', 'plan-board', 'claims-card']
  };
  var pendingParts = {};
  var refreshTimer = null;

  // Swaps in the parts of `fresh` (a parsed page or fragment) that this page shows.
  function swapParts(fresh, ids) {
    for (var i = 0; i < ids.length; i++) {
      var part = document.getElementById(ids[i]);
      if (!part || !part.hasAttribute('data-live')) continue;
      // A part the person is working in (an open task editor, a focused field) is left alone
      // until they are done; the next change after that brings it up to date.
      if (part.querySelector('details[open]') || part.contains(document.activeElement)) continue;
      var next = fresh.getElementById(ids[i]);
      if (next) part.replaceWith(document.importNode(next, true));
    }
    document.body.setAttribute('data-live-refreshes', String(Number(document.body.getAttribute('data-live-refreshes') || '0') + 1));
  }

  function parse(res) {
    return res.ok ? res.text().then(function (text) { return new DOMParser().parseFromString(text, 'text/html'); }) : null;
  }

  // The whole page again (a synthesis job that ended changes parts no event names).
  function refreshLive() {
    fetch(window.location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(parse)
      .then(function (fresh) {
        if (!fresh) return;
        var ids = [];
        var parts = document.querySelectorAll('[data-live]');
        for (var i = 0; i < parts.length; i++) if (parts[i].id) ids.push(parts[i].id);
        swapParts(fresh, ids);
      })
      .catch(function () { /* the next change tries again */ });
  }

  function refreshParts(room) {
    refreshTimer = null;
    var ids = Object.keys(pendingParts);
    pendingParts = {};
    if (ids.length === 0) return;
    var url = '/ui/rooms/' + encodeURIComponent(room) + '/live?parts=' + encodeURIComponent(ids.join(',')) +
      '&page=' + encodeURIComponent(window.location.pathname + window.location.search);
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(parse)
      .then(function (fresh) { if (fresh) swapParts(fresh, ids); })
      .catch(function () { /* the next change tries again */ });
  }

  function liveChange(room, key) {
    var ids = PARTS_OF[key.split('/')[0]];
    if (!ids) return;
    var any = false;
    for (var i = 0; i < ids.length; i++) {
      var part = document.getElementById(ids[i]);
      if (part && part.hasAttribute('data-live')) { pendingParts[ids[i]] = true; any = true; }
    }
    // A burst of changes (a plan write and an agent's heartbeat) is one request.
    if (any && refreshTimer === null) refreshTimer = setTimeout(function () { refreshParts(room); }, 50);
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
        liveChange(room, String(event.key || ''));
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
