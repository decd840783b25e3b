// app.js — the mfrec page. Hash routes: #/ (home: start screen or popular),
// #/search/QUERY, #/movie/ID, #/map. The user (id + token from POST
// /api/users) lives in localStorage; the token is sent only as a Bearer
// header on writes. Every string from the server goes into textContent, never
// innerHTML. The "For you" list is refetched after each saved rating.
'use strict';

const $ = (sel) => document.querySelector(sel);
const view = () => $('#view');
const state = { user: null, ratings: new Map() };

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.user) headers.Authorization = 'Bearer ' + state.user.token;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
  return data;
}

function loadUser() {
  try { state.user = JSON.parse(localStorage.getItem('mfrec.user')); } catch (e) { state.user = null; }
}
function saveUser(u) { state.user = u; localStorage.setItem('mfrec.user', JSON.stringify(u)); }

function renderWho() {
  const w = $('#who');
  w.textContent = '';
  if (state.user) {
    w.append(`profile #${state.user.id} · ${state.ratings.size} rated `,
      el('a', { href: '#/', onclick: (ev) => { ev.preventDefault(); if (confirm('Forget this profile on this browser?')) { localStorage.removeItem('mfrec.user'); state.user = null; state.ratings.clear(); refreshForYou(); route(); } } }, 'sign out'));
  } else {
    w.append(el('a', { href: '#/' }, 'start'));
  }
}

function genresOf(m) { return el('div', { class: 'tags' }, (m.genres || []).map((g) => el('span', { class: 'tag' }, g))); }
function metaOf(m) {
  const parts = [];
  if (m.rating_count != null) parts.push(`${m.rating_count} ratings`);
  if (m.rating_mean != null) parts.push(`mean ${m.rating_mean.toFixed(2)}`);
  return el('div', { class: 'meta' }, parts.join(' · '));
}

function stars(movieId, small) {
  const box = el('span', { class: 'stars' + (small ? ' small' : ''), 'data-movie': movieId });
  const note = el('span', { class: 'saved' });
  const paint = () => {
    const r = state.ratings.get(movieId) || 0;
    [...box.children].forEach((b, i) => b.classList.toggle('on', i < Math.round(r)));
  };
  for (let s = 1; s <= 5; s++) {
    box.append(el('button', { type: 'button', title: `${s} star${s > 1 ? 's' : ''}`, 'aria-label': `rate ${s}`,
      onclick: async () => {
        note.textContent = '';
        try {
          await ensureUser();
          await api('PUT', `/api/users/${state.user.id}/ratings/${movieId}`, { rating: s });
          state.ratings.set(movieId, s);
          paint(); note.textContent = 'saved'; renderWho();
          await refreshForYou(true);
          document.dispatchEvent(new CustomEvent('rated'));
        } catch (e) { note.textContent = e.message; note.className = 'saved error'; }
      } }, '★'));
  }
  paint();
  return el('span', {}, box, note);
}

function card(m, extra) {
  return el('div', { class: 'card', 'data-movie': m.id },
    el('a', { class: 'title', href: `#/movie/${m.id}` }, m.title),
    genresOf(m), metaOf(m), extra || null, stars(m.id, true));
}

async function ensureUser() {
  if (state.user) return state.user;
  const u = await api('POST', '/api/users');
  saveUser({ id: u.id, token: u.token });
  renderWho();
  return state.user;
}

async function loadRatings() {
  state.ratings.clear();
  if (!state.user) return;
  try {
    const r = await api('GET', `/api/users/${state.user.id}/ratings`);
    for (const x of r.ratings) state.ratings.set(x.movie, x.rating);
  } catch (e) { /* a profile from another server: forget it */ localStorage.removeItem('mfrec.user'); state.user = null; }
}

let lastForYou = [];
async function refreshForYou(flash) {
  const list = $('#foryou'), note = $('#foryou-note');
  if (!state.user || state.ratings.size === 0) {
    list.textContent = ''; note.hidden = false; lastForYou = []; return;
  }
  const r = await api('GET', `/api/users/${state.user.id}/recommendations?n=10&min_ratings=20`);
  note.hidden = true;
  list.textContent = '';
  const before = new Set(lastForYou);
  for (const m of r.recommendations) {
    const li = el('li', { class: flash && !before.has(m.id) ? 'new' : '' },
      el('a', { href: `#/movie/${m.id}` }, m.title),
      el('span', { class: 'score', title: 'predicted rating' }, `★ ${m.prediction.toFixed(1)}`));
    list.append(li);
  }
  lastForYou = r.recommendations.map((m) => m.id);
  list.dataset.version = String(Number(list.dataset.version || 0) + 1);
}

async function showHome() {
  const v = view();
  v.textContent = '';
  const pop = await api('GET', '/api/movies?limit=24');
  if (!state.user || state.ratings.size < 3) {
    v.append(el('div', { class: 'panel', id: 'start' },
      el('h1', {}, 'Welcome! Rate a few movies you know'),
      el('p', { class: 'muted' }, 'Three to five ratings are enough for a first “For you” list — it updates the moment each rating is saved. No account needed: a private profile is created on your first rating and kept in this browser.'),
      el('p', { id: 'start-progress' }, `${state.ratings.size} of 5 rated`)));
  } else {
    v.append(el('h1', {}, 'Popular movies'), el('p', { class: 'muted' }, 'Rate more to sharpen your list.'));
  }
  v.append(el('div', { class: 'grid', id: 'popular' }, pop.movies.map((m) => card(m))));
}

async function showSearch(q) {
  const v = view();
  v.textContent = '';
  v.append(el('h1', {}, `Results for “${q}”`));
  const r = await api('GET', `/api/movies?q=${encodeURIComponent(q)}&limit=40`);
  if (!r.movies.length) { v.append(el('p', { class: 'muted' }, 'No movie matches that title.')); return; }
  v.append(el('p', { class: 'muted' }, `${r.total} found`), el('div', { class: 'grid', id: 'results' }, r.movies.map((m) => card(m))));
}

async function showMovie(id) {
  const v = view();
  v.textContent = '';
  const m = await api('GET', `/api/movies/${id}`);
  const panel = el('div', { class: 'panel', id: 'movie' },
    el('h1', {}, m.title), genresOf(m), metaOf(m),
    el('p', {}, 'Your rating: ', stars(m.id, false)));
  v.append(panel);
  const simBox = el('div', { class: 'panel' }, el('h2', {}, 'Similar movies'));
  const metric = el('select', { 'aria-label': 'similarity', onchange: () => { caption.textContent = captions[metric.value]; loadSim(); } },
    el('option', { value: 'cooccurrence' }, 'watched together'), el('option', { value: 'pearson' }, 'Pearson of factors'),
    el('option', { value: 'cosine' }, 'cosine of factors'));
  const captions = {
    cooccurrence: 'by who rated both movies, and how highly · ',
    pearson: 'by the correlation of the movies’ latent factors · ',
    cosine: 'by the cosine of the movies’ latent factors · ',
  };
  const caption = el('span', {}, captions.cooccurrence);
  const ul = el('ul', { class: 'list', id: 'similar' });
  simBox.append(el('p', { class: 'muted' }, caption, metric), ul);
  v.append(simBox);
  async function loadSim() {
    const s = await api('GET', `/api/movies/${id}/similar?n=12&metric=${metric.value}`).catch(() => ({ similar: [] }));
    ul.textContent = '';
    for (const x of s.similar)
      ul.append(el('li', {}, el('span', {}, el('a', { href: `#/movie/${x.id}` }, x.title), ' ', el('span', { class: 'muted' }, `(${x.score.toFixed(3)})`)), stars(x.id, true)));
    if (!s.similar.length) ul.append(el('li', { class: 'muted' }, 'No similar movies with enough ratings.'));
  }
  await loadSim();
}

async function showMap() {
  const v = view();
  v.textContent = '';
  v.append(el('h1', {}, 'Map of movies'),
    el('p', { class: 'muted' }, 'The 600 most-rated movies placed by the first two principal components of their latent factors: neighbours tend to be liked by the same people. Hover for titles, click to open.'));
  const r = await api('GET', '/api/map?limit=600');
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  const xs = r.points.map((p) => p.x), ys = r.points.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const W = 1000, H = 620, pad = 20;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('id', 'map');
  const maxc = Math.max(...r.points.map((p) => p.rating_count), 1);
  const tip = el('div', { class: 'tip' });
  let labels = 10;
  for (const p of r.points) {
    const c = document.createElementNS(NS, 'circle');
    c.setAttribute('cx', (pad + (p.x - x0) / (x1 - x0 || 1) * (W - 2 * pad)).toFixed(1));
    c.setAttribute('cy', (pad + (1 - (p.y - y0) / (y1 - y0 || 1)) * (H - 2 * pad)).toFixed(1));
    c.setAttribute('r', (2.5 + 6 * Math.sqrt(p.rating_count / maxc)).toFixed(1));
    const t = document.createElementNS(NS, 'title');
    t.textContent = p.title;
    c.append(t);
    c.addEventListener('mousemove', (ev) => { tip.textContent = p.title; tip.style.display = 'block'; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px'; });
    c.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
    c.addEventListener('click', () => { location.hash = `#/movie/${p.id}`; });
    svg.append(c);
    if (labels-- > 0) { // name the best-known movies, for orientation
      const tx = document.createElementNS(NS, 'text');
      const cx = Number(c.getAttribute('cx'));
      const right = cx > W - 180; // near the right edge: label on the left
      tx.setAttribute('x', (right ? cx - 8 : cx + 8).toFixed(1));
      tx.setAttribute('y', (Number(c.getAttribute('cy')) + 4).toFixed(1));
      if (right) tx.setAttribute('text-anchor', 'end');
      const name = p.title.replace(/ \(\d{4}\)$/, '');
      tx.textContent = name.length > 26 ? name.slice(0, 25) + '…' : name;
      svg.append(tx);
    }
  }
  v.append(el('div', { class: 'map-wrap' }, svg), tip);
}

async function route() {
  const h = decodeURIComponent(location.hash.slice(1) || '/');
  const parts = h.split('/').filter(Boolean);
  try {
    if (parts[0] === 'movie' && /^\d+$/.test(parts[1] || '')) await showMovie(parts[1]);
    else if (parts[0] === 'search') await showSearch(parts.slice(1).join('/'));
    else if (parts[0] === 'map') await showMap();
    else await showHome();
  } catch (e) {
    view().textContent = '';
    view().append(el('p', { class: 'error' }, e.message));
  }
}

async function health() {
  try {
    const h = await api('GET', '/api/health');
    $('#health').textContent = `model ${h.model.algo} v${h.model.version} · ${h.model.movies} movies · ${h.model.factors} factors`;
  } catch (e) { $('#health').textContent = 'server unreachable'; }
}

async function main() {
  $('#search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = $('#search').value.trim();
    if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
  });
  window.addEventListener('hashchange', route);
  document.addEventListener('rated', () => {
    const p = $('#start-progress');
    if (p) p.textContent = `${state.ratings.size} of 5 rated` + (state.ratings.size >= 3 ? ' — see “For you” →' : '');
  });
  loadUser();
  await loadRatings();
  renderWho();
  await Promise.all([route(), refreshForYou(false), health()]);
}
main();
