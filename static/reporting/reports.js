/* Reports pages: charts drawn by Chart.js (static/reporting/vendor) from the JSON the page embeds,
   and the live panel, which polls the console's JSON endpoint. No build step. */
(function () {
  "use strict";

  var css = getComputedStyle(document.documentElement);
  var color = function (name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; };
  var COLORS = {
    video: color("--accent", "#4f46e5"),
    voice: "#14b8a6",
    completed: "#17b26a",
    dropped: "#f79009",
    failed: "#f04438",
    rejected: "#98a2b3",
    expired: "#d0d5dd",
    cancelled: "#b692f6",
    in_progress: "#53b1fd",
    grid: "#eaecf0",
    text: color("--muted", "#667085")
  };

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true, color: COLORS.text } },
        tooltip: { mode: "index", intersect: false }
      }
    };
  }

  function sessionsChart(canvas, data) {
    var series = data.series;
    var options = baseOptions();
    options.scales = {
      x: { stacked: true, grid: { display: false }, ticks: { color: COLORS.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 12,
        callback: function (value) { return shortLabel(this.getLabelForValue(value), data.interval); } } },
      y: { stacked: true, beginAtZero: true, grid: { color: COLORS.grid }, ticks: { color: COLORS.text, precision: 0 } }
    };
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: series.labels,
        datasets: [
          { type: "line", label: "Connected", data: series.connected, borderColor: "#f79009", backgroundColor: "#f79009",
            borderWidth: 2, pointRadius: series.connected.length > 60 ? 0 : 2.5, tension: 0.3, order: 0, stack: "connected" },
          { label: "Video", data: series.video, backgroundColor: COLORS.video, borderRadius: 3, maxBarThickness: 36, order: 1 },
          { label: "Voice", data: series.voice, backgroundColor: COLORS.voice, borderRadius: 3, maxBarThickness: 36, order: 1 }
        ]
      },
      options: options
    });
  }

  function shortLabel(label, interval) {
    // "2025-03-01" -> "1 Mar" (a day, or a week by its Monday); "2025-03" -> "Mar 2025";
    // "2025-03-01 14:00 +0100" -> "14:00" (the date on the first hour of a day).
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    var parts = String(label).split(" ");
    var date = parts[0].split("-");
    if (interval === "month") { return months[parseInt(date[1], 10) - 1] + " " + date[0]; }
    var day = parseInt(date[2], 10) + " " + months[parseInt(date[1], 10) - 1];
    if (interval !== "hour") { return day; }
    return parts[1] === "00:00" ? [parts[1], day] : parts[1];
  }

  function outcomeChart(canvas, outcomes) {
    var options = baseOptions();
    options.cutout = "68%";
    options.plugins.legend.display = false;
    options.plugins.tooltip.mode = "nearest";
    return new window.Chart(canvas, {
      type: "doughnut",
      data: {
        labels: outcomes.map(function (o) { return o.label; }),
        datasets: [{
          data: outcomes.map(function (o) { return o.count; }),
          backgroundColor: outcomes.map(function (o) { return COLORS[o.key] || COLORS.rejected; }),
          borderWidth: 2,
          borderColor: "#fff"
        }]
      },
      options: options
    });
  }

  function formatSince(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function startLivePanel(card) {
    var list = document.getElementById("live-list");
    var count = document.getElementById("live-count");
    var url = card.getAttribute("data-live-url");
    var every = parseInt(card.getAttribute("data-poll-ms"), 10) || 5000;
    var badge = { ringing: "badge badge-accent-soft", connecting: "badge badge-accent-soft", active: "badge badge-accent-soft" };

    function render(body) {
      list.replaceChildren();
      count.textContent = String(body.calls.length);
      if (!body.calls.length) {
        list.appendChild(element("li", "muted live-empty", "No call in progress right now."));
        return;
      }
      body.calls.forEach(function (call) {
        var item = element("li");
        var link = element("a");
        link.href = call.url;
        link.appendChild(element("span", "live-media", call.media.charAt(0).toUpperCase() + call.media.slice(1)));
        link.appendChild(element("span", "live-agent", call.agent));
        item.appendChild(link);
        item.appendChild(element("span", "muted small live-since", formatSince(call.since_s)));
        item.appendChild(element("span", badge[call.state] || "badge badge-off", call.state.charAt(0).toUpperCase() + call.state.slice(1)));
        list.appendChild(item);
      });
    }

    function poll() {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) { if (body) { card.classList.remove("is-stale"); render(body); } })
        .catch(function () { card.classList.add("is-stale"); });
    }

    // Every call transition of the account is pushed over /ws/live/: the list refreshes at once.
    // The timer stays as the fallback (and keeps the "since" durations moving).
    var pending = null;
    function soon() {
      if (pending) { return; }
      pending = window.setTimeout(function () { pending = null; poll(); }, 150);
    }
    function listen(delay) {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + window.location.host + "/ws/live/");
      socket.addEventListener("open", function () { card.setAttribute("data-live", "socket"); });
      socket.addEventListener("message", function (event) {
        var frame = JSON.parse(event.data);
        if (frame.type === "call.live") { soon(); }
      });
      socket.addEventListener("close", function (event) {
        card.setAttribute("data-live", "polling");
        if (event.code === 4401 || event.code === 4403) { return; }
        var next = Math.min((delay || 1000) * 2, 30000);
        window.setTimeout(function () { listen(next); }, delay || 1000);
      });
    }

    poll();
    window.setInterval(poll, every);
    document.addEventListener("visibilitychange", poll);
    if ("WebSocket" in window) { listen(0); }
  }

  if (!window.Chart) { return; }
  window.Chart.defaults.font.family = color("--font", "system-ui, sans-serif");

  var report = readJSON("report-data");
  if (report) {
    var sessions = document.getElementById("sessions-chart");
    if (sessions) { sessionsChart(sessions, report); }
    var outcomes = document.getElementById("outcome-chart");
    if (outcomes) { outcomeChart(outcomes, report.outcomes); }
  }
  var live = document.querySelector(".live-card[data-live-url]");
  if (live) { startLivePanel(live); }
})();
