// The console's ICE check: gather candidates with each configured STUN/TURN server on its own and
// report which kinds came back. Nothing is sent anywhere; the results stay on the page.

const config = JSON.parse(document.getElementById("ice-check-config").textContent);
const rerun = document.getElementById("ice-rerun");
const summary = document.getElementById("ice-summary");

function badge(found, label) {
  const span = document.createElement("span");
  span.className = `badge ${found ? "badge-ok" : "badge-off"}`;
  span.textContent = found ? `${found} found` : label;
  return span;
}

/** Gather with one server; resolve with {host, srflx, relay} counts and whether gathering finished. */
async function gather(server, timeoutMs) {
  const counts = { host: 0, srflx: 0, relay: 0, prflx: 0 };
  const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: "all" });
  try {
    pc.createDataChannel("ice-check");
    const done = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      pc.addEventListener("icecandidate", ({ candidate }) => {
        if (candidate === null) {
          clearTimeout(timer);
          resolve(true);
        } else if (candidate.candidate) {
          const type = candidate.type || (candidate.candidate.match(/ typ (\w+)/) || [])[1];
          if (type in counts) counts[type] += 1;
        }
      });
    });
    await pc.setLocalDescription(await pc.createOffer());
    const finished = await done;
    return { ...counts, finished };
  } finally {
    pc.close();
  }
}

function verdict(item, result) {
  if (item.turn) {
    if (result.relay) return { ok: true, text: "TURN works: it gave a relay candidate." };
    return {
      ok: false,
      text: "TURN gave no relay candidate: the server is unreachable from here, or it refused the credentials (wrong shared secret or expired).",
    };
  }
  if (result.srflx) return { ok: true, text: "STUN works: it told this browser its public address." };
  return {
    ok: null,
    text: "STUN gave no server-reflexive candidate: the server is unreachable, or this browser is not behind a NAT (then its host address is its public one).",
  };
}

async function run() {
  rerun.disabled = true;
  summary.textContent = `Checking ${config.servers.length} server${config.servers.length === 1 ? "" : "s"}…`;
  const rows = document.querySelectorAll("#ice-results tbody tr");
  let working = 0;
  let broken = 0;
  await Promise.all(
    config.servers.map(async (item, index) => {
      const row = rows[index];
      row.dataset.state = "checking";
      for (const type of ["host", "srflx", "relay"]) row.querySelector(`[data-type="${type}"]`).replaceChildren(badge(0, "…"));
      row.querySelector("[data-result]").textContent = "Checking…";
      let result;
      try {
        result = await gather(item.server, config.timeout_ms);
      } catch (error) {
        row.dataset.state = "error";
        row.querySelector("[data-result]").textContent = `The browser refused this server: ${error.message}`;
        broken += 1;
        return;
      }
      for (const type of ["host", "srflx", "relay"]) {
        row.querySelector(`[data-type="${type}"]`).replaceChildren(badge(result[type], "none"));
        row.dataset[type] = String(result[type]);
      }
      const { ok, text } = verdict(item, result);
      row.dataset.state = ok === false ? "failed" : ok ? "ok" : "unknown";
      const cell = row.querySelector("[data-result]");
      cell.replaceChildren();
      const mark = document.createElement("span");
      mark.className = `badge ${ok === false ? "badge-no" : ok ? "badge-ok" : "badge-neutral"}`;
      mark.textContent = ok === false ? "Problem" : ok ? "OK" : "Check";
      const words = document.createElement("span");
      words.className = "ice-words";
      words.textContent = ` ${text}`;
      cell.append(mark, words);
      if (ok === false) broken += 1;
      else if (ok) working += 1;
    }),
  );
  summary.textContent = broken
    ? `${broken} of ${config.servers.length} server${config.servers.length === 1 ? "" : "s"} did not work from this browser.`
    : `Checked ${config.servers.length} server${config.servers.length === 1 ? "" : "s"}: ${working} working.`;
  document.body.dataset.iceCheck = "done";
  rerun.disabled = false;
}

if (config.servers.length) {
  // Again = reload: minted TURN credentials may have expired since the page was made.
  rerun.addEventListener("click", () => window.location.reload());
  run();
}
