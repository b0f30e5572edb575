// The operator's page: the agency's open events, the clip of each (hls.js, or
// native HLS) and its still image when the policy allows it, the live view while
// granted, extension, export, outcome; break-glass for supervisors, judicial
// requisitions for officers and their approval by the designee.
//
// Elements the browser tests drive (keep these ids): #video the player (clip and
// live); #live "Direct" (the recorder's live buffer, /live/<grant>/live.m3u8) and
// #from-start back to the event's clip (/hls/<grant>/index.m3u8), both without a
// reload, the pressed one has aria-pressed="true"; #mode what plays; #direct and
// #fin-direct the live window's end; #message why the live view stopped.
"use strict";
const CLASSES = { intrusion: "Intrusion", tamper: "Sabotage caméra", fire: "Incendie" };
const KINDS = { college: "Collège", departmental_building: "Bâtiment départemental",
                sdis_station: "Centre de secours", commune_building: "Bâtiment communal",
                datacenter: "Centre de données" };
const state = { grant: null, token: null, hls: null, refresh: null, me: null,
                urls: null, cutoff: null, relance: null, essais: 0 };
// A camera that just dropped (often the very anomaly being looked at) comes back
// with its recorder's live buffer empty for a few seconds: the page asks again
// once a second for this long instead of stopping on the first 404.
const LIVE_ATTENTE_S = 15;
// Low latency on the recorder's 1 s segments (settings measured side by side by
// benchmarks/live/bench_glass.py): start and stay 0.8 s behind the live edge,
// never more than 1.8 s (beyond, the player jumps), catch up by playing up to
// 1.5x rather than drifting, and do not widen the distance after a stall.
const LIVE = { lowLatencyMode: true, liveSyncDuration: 0.8, liveMaxLatencyDuration: 1.8,
               maxLiveSyncPlaybackRate: 1.5, liveSyncOnStallIncrease: 0,
               initialLiveManifestSize: 1,
               maxBufferLength: 4, backBufferLength: 10, startFragPrefetch: true,
               manifestLoadingMaxRetry: 1, levelLoadingMaxRetry: 1, fragLoadingMaxRetry: 1 };
const $ = (id) => document.getElementById(id);
const heure = (iso) => new Date(iso).toLocaleString("fr-FR", { timeZone: "Europe/Paris" });

async function api(path, options = {}) {
  const r = await fetch(path, { credentials: "same-origin", ...options });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.refused || `refus (${r.status})`);
  return body;
}

function post(path, data) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" },
                     body: JSON.stringify(data || {}) });
}

async function chargerEvenements() {
  const data = await api("/api/events");
  $("identite").textContent = `${data.operator} — service ${data.agency}`;
  const rows = data.grants.map((g) => {
    const tr = document.createElement("tr");
    tr.className = g.open ? "ouvert" : "ferme";
    tr.dataset.grant = g.id;
    const info = g.site_info || {};
    const acces = [KINDS[info.kind] || info.kind, info.address, info.access_point]
      .filter(Boolean).join(" — ");
    for (const text of [heure(g.event_time), info.name || g.site, g.camera,
                        CLASSES[g.cls] || g.cls, acces, g.snapshot ? "Oui" : "—", etat(g)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    if (g.open) tr.addEventListener("click", () => ouvrir(g));
    return tr;
  });
  $("liste").replaceChildren(...(rows.length ? rows : [$("liste").firstElementChild]));
  return data.grants;
}

function etat(g) {
  if (g.origin === "requisition") {
    return g.exports && g.exports.length ? "Réquisition exportée" : "Réquisition en attente d'approbation";
  }
  if (g.origin === "break_glass") return g.open ? "Bris de glace ouvert" : "Bris de glace expiré";
  return g.open ? "Ouvert" : "Expiré";
}

// The still image goes through nginx's auth_request like a segment: fetched with
// the token, shown from memory (a blob), never cached (Cache-Control: no-store).
async function image(g) {
  const img = $("image-evenement");
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.removeAttribute("src");
  $("instantane").hidden = true;
  $("sans-image").hidden = Boolean(g.snapshot);
  if (!g.snapshot) return;
  const r = await fetch(g.snapshot, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!r.ok) { $("sans-image").hidden = false; return; }
  img.src = URL.createObjectURL(await r.blob());
  $("instantane").hidden = false;
}

async function jeton(g) {
  const t = await post(`/api/grants/${g.id}/token`);
  state.token = t.token;
  return t;
}

async function ouvrir(g) {
  state.grant = g;
  clearTimeout(state.cutoff);
  $("live").disabled = false;
  document.querySelectorAll("#liste tr").forEach((tr) =>
    tr.classList.toggle("choisi", tr.dataset.grant === g.id));
  $("lecture").hidden = false;
  $("titre-lecture").textContent = `${g.site} / ${g.camera} — ${CLASSES[g.cls] || g.cls}`;
  const info = g.site_info || {};
  $("site-info").textContent = [info.name, KINDS[info.kind], info.address, info.access_point]
    .filter(Boolean).join(" — ");
  try {
    const t = await jeton(g);
    clearInterval(state.refresh);  // tokens live 5 min at most: renew before
    state.refresh = setInterval(() => jeton(g).catch(() => clearInterval(state.refresh)), 120000);
    state.urls = t;
    depuisLeDebut();
    image(g).catch(() => { $("sans-image").hidden = false; });
    const w = await api(`/api/grants/${g.id}/window`);
    $("direct").hidden = !w.live;
    $("vues").hidden = !w.live;
    $("fin-direct").textContent = heure(t.live_until);
    if (w.live) arreterA(new Date(t.live_until));
    $("manquant").hidden = !w.missing.length;
    $("manquant").textContent = w.missing.length ? `Images manquantes : ${w.missing.join(" ; ")}` : "";
  } catch (e) {
    message(`Accès refusé : ${e.message}`);
  }
}

function depuisLeDebut() {
  vue("clip");
  lire(state.urls.playlist, {});
}

function direct() {
  if (!state.urls || new Date() >= new Date(state.urls.live_until)) return finDuDirect();
  state.essais = 0;
  vue("live");
  lire(state.urls.live, LIVE);
}

// The live buffer is not there (yet): try again in a second, within the grant.
function relancerDirect(d) {
  if (state.essais >= LIVE_ATTENTE_S) return false;
  state.essais += 1;
  message(`Direct : en attente des images de la caméra (${d.response.code}), ` +
          `nouvel essai ${state.essais}/${LIVE_ATTENTE_S}…`);
  clearTimeout(state.relance);
  state.relance = setTimeout(() => { if (state.mode === "live") lire(state.urls.live, LIVE); },
                             1000);
  return true;
}

function vue(mode) {
  $("live").setAttribute("aria-pressed", String(mode === "live"));
  $("from-start").setAttribute("aria-pressed", String(mode === "clip"));
  $("mode").textContent = mode === "live" ? "Direct" : "Séquence depuis le début de l'événement";
  state.mode = mode;
}

// The page knows when the grant ends: it stops the live view itself at that moment
// (the gateway refuses every request from then on anyway).
function arreterA(fin) {
  clearTimeout(state.cutoff);
  state.cutoff = setTimeout(finDuDirect, Math.max(0, fin - new Date()));
}

function finDuDirect() {
  clearTimeout(state.cutoff);
  $("live").disabled = true;
  $("direct").hidden = true;
  clearTimeout(state.relance);
  if (state.mode !== "live") return;
  if (state.hls) { state.hls.destroy(); state.hls = null; }
  const video = $("video");
  video.removeAttribute("src");
  video.load();
  $("mode").textContent = "Direct arrêté";
  message(`Direct terminé : l'autorisation de visionner cette caméra a pris fin à ` +
          `${heure(state.urls.live_until)}.`);
}

function lire(playlist, options) {
  const video = $("video");
  if (state.hls) state.hls.destroy();
  if (window.Hls && Hls.isSupported()) {
    state.hls = new Hls({
      ...options,
      xhrSetup: (xhr) => xhr.setRequestHeader("Authorization", `Bearer ${state.token}`),
    });
    state.hls.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      if (state.mode === "live" && d.response && d.response.code === 403) {
        finDuDirect();  // revoked or closed before its time: the gateway refused
        message("Direct interrompu : accès refusé par la passerelle (autorisation close ou révoquée).");
        return;
      }
      if (state.mode === "live" && d.response && d.response.code === 404 && relancerDirect(d)) return;
      message(`Lecture : ${d.details}`);
    });
    // Images again: the next gap gets its full wait.
    state.hls.on(Hls.Events.FRAG_BUFFERED, () => {
      if (state.essais) message("");
      state.essais = 0;
    });
    state.hls.loadSource(playlist);
    state.hls.attachMedia(video);
  } else {
    video.src = playlist;  // native HLS: the token travels in its cookie
  }
  video.play().catch(() => {});
}

function message(text) { $("message").textContent = text; }

async function action(fn, ok) {
  try { message(ok(await fn())); } catch (e) { message(`Refusé : ${e.message}`); }
}

async function chargerTaux() {
  const rows = (await api("/api/rates")).map((r) => {
    const tr = document.createElement("tr");
    for (const text of [r.camera, CLASSES[r.class] || r.class, r.outcomes, r.false_alarms,
                        `${Math.round(r.rate * 100)} %`]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  });
  $("taux-liste").replaceChildren(...rows);
}

$("live").addEventListener("click", direct);
$("from-start").addEventListener("click", depuisLeDebut);
$("prolonger").addEventListener("click", () => {
  const reason = prompt("Motif de la prolongation (obligatoire) :");
  if (reason) action(async () => {
    const g = await post(`/api/grants/${state.grant.id}/extend`, { reason });
    state.urls = await jeton(state.grant);  // its live end, the extension included
    arreterA(new Date(state.urls.live_until));
    return g;
  }, (g) => `Prolongé jusqu'à ${heure(g.live_until)}`);
});
$("exporter").addEventListener("click", () => {
  const reason = prompt("Motif de l'export (obligatoire) :");
  if (reason) action(() => post(`/api/grants/${state.grant.id}/exports`, { reason }),
                     (r) => `Export ${r.export} demandé : un second opérateur doit l'approuver`);
});
$("approuver").addEventListener("click", () =>
  action(() => post(`/api/exports/${$("export-id").value.trim()}/approve`),
         (r) => `Export produit : ${r.files} segments, manifeste SHA-256 ${r.manifest_sha256}`));
$("fausse-alerte").addEventListener("click", () =>
  action(() => post(`/api/grants/${state.grant.id}/outcome`, { outcome: "false_alarm" }),
         () => "Issue enregistrée : fausse alerte").then(chargerTaux));
$("confirme").addEventListener("click", () =>
  action(() => post(`/api/grants/${state.grant.id}/outcome`,
                    { outcome: "confirmed", service: $("service").value }),
         () => "Issue enregistrée : confirmée").then(chargerTaux));

async function chargerRequisitions() {
  const rows = (await api("/api/requisitions")).map((q) => {
    const tr = document.createElement("tr");
    tr.dataset.requisition = q.id;
    for (const text of [q.camera, heure(q.start), heure(q.end), q.procedure, q.requested_by]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.textContent = "Approuver et exporter";
    b.addEventListener("click", () =>
      action(() => post(`/api/requisitions/${q.id}/approve`),
             (r) => `Réquisition approuvée : export ${r.export}, ${r.files} segments, ` +
                    `manifeste SHA-256 ${r.manifest_sha256}`).then(chargerRequisitions));
    td.appendChild(b);
    tr.appendChild(td);
    return tr;
  });
  $("req-liste").replaceChildren(...rows);
  $("a-approuver").hidden = !rows.length && !state.me.designee_of.length;
}

// What the page offers this person; the service and the policy decide each request.
async function chargerRoles() {
  state.me = await api("/api/me");
  $("cameras").replaceChildren(...state.me.cameras.map((c) => {
    const o = document.createElement("option");
    o.value = c.camera;
    o.textContent = c.site;
    return o;
  }));
  $("bris-de-glace").hidden = !state.me.supervisor;
  $("requisition").hidden = !state.me.judicial;
  await chargerRequisitions();
}

$("form-bris").addEventListener("submit", (e) => {
  e.preventDefault();
  action(async () => {
    const g = await post("/api/break-glass", { camera: $("bris-camera").value.trim(),
                                              class: $("bris-classe").value,
                                              reason: $("bris-motif").value.trim() });
    await chargerEvenements();
    ouvrir({ ...g, open: true });
    return g;
  }, (g) => `Bris de glace accordé jusqu'à ${heure(g.live_until)} : le délégué à la protection ` +
            "des données est alerté, l'accès sera revu");
});
$("form-requisition").addEventListener("submit", (e) => {
  e.preventDefault();
  action(async () => {
    const r = await post("/api/requisitions", {
      camera: $("req-camera").value.trim(),
      start: new Date($("req-debut").value).toISOString(),
      end: new Date($("req-fin").value).toISOString(),
      procedure: $("req-procedure").value.trim() });
    await chargerEvenements();
    return r;
  }, (r) => `Réquisition ${r.requisition} enregistrée : en attente d'approbation par le ` +
            "délégataire du titulaire de l'autorisation");
});

async function demarrer() {
  try {
    const grants = await chargerEvenements();
    await chargerTaux();
    await chargerRoles();
    const wanted = location.hash.slice(1);
    const g = grants.find((x) => x.id === wanted) || grants.find((x) => x.open);
    if (g && g.open) ouvrir(g);
  } catch (e) {
    $("identite").textContent = `Accès refusé : ${e.message}`;
  }
}
demarrer();
setInterval(chargerEvenements, 15000);
