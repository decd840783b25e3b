// app.js — the mfrec page (docs/web.md). Hash routes: #/ (start screen or
// popular), #/search/QUERY, #/movie/ID, #/ratings, #/map. The user (id +
// token from POST /api/users) lives in localStorage; the token is sent only
// as a Bearer header on writes. Every string from the server goes into
// textContent, never innerHTML. What the served model can do comes from
// /api/health first (caps), so the page offers only what will work.
'use strict';

const $ = (sel) => document.querySelector(sel);
const view = () => $('#view');
const state = { user: null, ratings: new Map(), titles: new Map(), caps: null, lastRated: null };
const MIN = () => (state.caps ? state.caps.min : 0.5);
const MAX = () => (state.caps ? state.caps.max : 5);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) if (k != null) e.append(k instanceof Node ? k : String(k));
  return e;
}
const svgEl = (tag, attrs) => {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
};

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.user) headers.Authorization = 'Bearer ' + state.user.token;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
  return data;
}

// ---- user, ratings ----

function loadUser() {
  try { state.user = JSON.parse(localStorage.getItem('mfrec.user')); } catch (e) { state.user = null; }
}
function saveUser(u) { state.user = u; localStorage.setItem('mfrec.user', JSON.stringify(u)); }

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
    for (const x of r.ratings) { state.ratings.set(x.movie, { rating: x.rating, time: x.time }); state.titles.set(x.movie, x.title); }
  } catch (e) { /* a profile from another server: forget it */ localStorage.removeItem('mfrec.user'); state.user = null; }
}

function renderWho() {
  const w = $('#who');
  w.textContent = '';
  if (!state.user) return;
  w.append(`profile #${state.user.id} · ${state.ratings.size} rated · `,
    el('a', { href: '#/', onclick: (ev) => {
      ev.preventDefault();
      if (!confirm('Forget this profile on this browser?')) return;
      localStorage.removeItem('mfrec.user'); state.user = null; state.ratings.clear(); refreshForYou(); route(); renderWho();
    } }, 'sign out'));
}

const fmtStars = (r) => `${Number(r).toFixed(1).replace(/\.0$/, '')} ★`;
// "Godfather, The (1972)" -> "The Godfather": for sentences and labels
const bareTitle = (t) => {
  const s = String(t || '').replace(/ \(\d{4}\)$/, '');
  const m = s.match(/^(.*), (The|A|An|Les|La|Le|L'|Die|Der|Das|El|Il)$/);
  return m ? (m[2] === "L'" ? m[2] : m[2] + ' ') + m[1] : s;
};

// The one write path: set (or with rating null, clear) a rating, then tell
// everyone (stars repaint, "For you" refreshes) and offer an undo.
async function setRating(id, title, rating, opts = {}) {
  await ensureUser();
  const before = state.ratings.get(id);
  if (rating == null) {
    if (!before) return;
    await api('DELETE', `/api/users/${state.user.id}/ratings/${id}`);
    state.ratings.delete(id);
  } else {
    const r = await api('PUT', `/api/users/${state.user.id}/ratings/${id}`, { rating });
    state.ratings.set(id, { rating: r.rating, time: r.time });
  }
  state.titles.set(id, title);
  state.lastRated = { id, title, rating };
  document.dispatchEvent(new CustomEvent('rated', { detail: { id } }));
  renderWho();
  if (!opts.undo) {
    const what = rating == null ? `Cleared your rating of ${bareTitle(title)}`
      : rating === MIN() && opts.notInterested ? `${bareTitle(title)}: not interested`
        : `Rated ${bareTitle(title)} ${fmtStars(rating)}`;
    toast(what, async () => {
      await setRating(id, title, before ? before.rating : null, { undo: true });
      toast(`Undone: ${bareTitle(title)} is back to ${before ? fmtStars(before.rating) : 'unrated'}`);
    });
  }
  await refreshForYou(true);
}

let toastTimer = 0;
function toast(text, undo) {
  const t = $('#toast');
  t.textContent = '';
  t.append(el('span', {}, text));
  if (undo) t.append(el('button', { type: 'button', class: 'linkish', onclick: () => { t.hidden = true; undo().catch((e) => toast(e.message)); } }, 'Undo'));
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
}

// Half-star rating control: a slider (arrows ±0.5, Home/End, digits,
// Delete clears; saved 600 ms after the last key or at once with Enter),
// pointer/touch on the stars picks the half under the finger, and "×"
// clears. Repaints itself when any rating changes.
function stars(movie, small) {
  const id = movie.id, title = movie.title;
  const cur = () => (state.ratings.get(id) || {}).rating || 0;
  let shown = cur(), timer = 0;
  const fill = el('span', { class: 'fill', 'aria-hidden': 'true' }, '★★★★★');
  const track = el('span', { class: 'track', 'aria-hidden': 'true' }, '★★★★★', fill);
  const box = el('span', {
    class: 'stars' + (small ? ' small' : ''), role: 'slider', tabindex: '0', 'data-movie': id,
    'aria-label': `Your rating of ${bareTitle(title)}`, 'aria-valuemin': String(MIN()), 'aria-valuemax': String(MAX()),
  }, track);
  const clear = el('button', { type: 'button', class: 'clear', 'aria-label': `Clear your rating of ${bareTitle(title)}`, title: 'clear rating' }, '×');
  const note = el('span', { class: 'saved', 'aria-live': 'polite' });
  const paint = (v) => {
    shown = v;
    fill.style.width = `${(v / MAX()) * 100}%`;
    box.setAttribute('aria-valuenow', String(v || 0));
    box.setAttribute('aria-valuetext', v ? (v === MIN() && cur() === MIN() ? 'not interested' : `${v} stars`) : 'not rated');
    clear.hidden = !cur();
  };
  const save = async (v) => {
    clearTimeout(timer);
    note.textContent = ''; note.className = 'saved';
    try {
      if (v === cur()) return;
      await setRating(id, title, v || null);
      note.textContent = v ? 'saved' : 'cleared';
    } catch (e) { note.textContent = e.message; note.className = 'saved error'; paint(cur()); }
  };
  const step = (v) => Math.min(MAX(), Math.max(MIN(), Math.round(v * 2) / 2));
  box.addEventListener('keydown', (ev) => {
    let v = shown || 0;
    if (ev.key === 'ArrowRight' || ev.key === 'ArrowUp') v = step(v + 0.5);
    else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowDown') v = step(v ? v - 0.5 : MIN());
    else if (ev.key === 'Home') v = MIN();
    else if (ev.key === 'End') v = MAX();
    else if (/^[1-5]$/.test(ev.key)) v = Number(ev.key);
    else if (ev.key === 'Delete' || ev.key === 'Backspace') { ev.preventDefault(); paint(0); save(0); return; }
    else if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); if (shown) save(shown); return; }
    else return;
    ev.preventDefault();
    paint(v);
    clearTimeout(timer);
    timer = setTimeout(() => save(shown), 600);
  });
  const at = (ev) => {
    const r = track.getBoundingClientRect();
    return step(Math.ceil(((ev.clientX - r.left) / r.width) * MAX() * 2) / 2);
  };
  box.addEventListener('pointermove', (ev) => { if (ev.pointerType === 'mouse') paint(at(ev)); });
  box.addEventListener('pointerleave', () => paint(cur()));
  box.addEventListener('click', (ev) => { const v = at(ev); paint(v); save(v); });
  clear.addEventListener('click', () => { paint(0); save(0); });
  const onRated = (ev) => { if (!box.isConnected) document.removeEventListener('rated', onRated); else if (ev.detail.id === id) paint(cur()); };
  document.addEventListener('rated', onRated);
  paint(cur());
  return el('span', { class: 'rate' }, box, clear, note);
}

// ---- pieces ----

function genresOf(m) { return el('div', { class: 'tags' }, (m.genres || []).map((g) => el('span', { class: 'tag' }, g))); }
function metaOf(m) {
  const parts = [];
  if (m.year) parts.push(String(m.year));
  if (m.rating_count != null) parts.push(`${m.rating_count} ratings`);
  if (m.rating_mean != null) parts.push(`mean ${m.rating_mean.toFixed(2)}`);
  return el('div', { class: 'meta' }, parts.join(' · '));
}
function card(m, extra) {
  return el('div', { class: 'card', 'data-movie': m.id },
    el('a', { class: 'title', href: `#/movie/${m.id}` }, m.title),
    genresOf(m), metaOf(m), extra || null, stars(m, true));
}
function because(list) {
  if (!list || !list.length) return null;
  const names = list.map((b) => el('a', { href: `#/movie/${b.id}` }, bareTitle(b.title)));
  return el('span', { class: 'because' }, 'because you liked ', names[0], names[1] ? [' and ', names[1]] : null);
}

// ---- "For you" ----

let lastForYou = [], forYouSeq = 0;
async function refreshForYou(flash) {
  const list = $('#foryou'), note = $('#foryou-note'), why = $('#foryou-why');
  if (!state.user || state.ratings.size === 0) {
    list.textContent = ''; note.hidden = false; why.textContent = ''; lastForYou = [];
    list.dataset.version = String(Number(list.dataset.version || 0) + 1);
    return;
  }
  const g = $('#f-genre').value, d = $('#f-decade').value;
  const q = `n=10&min_ratings=20&explain=1${g ? `&genre=${encodeURIComponent(g)}` : ''}${d ? `&decade=${d}` : ''}`;
  let r;
  const seq = ++forYouSeq; // a later refresh wins over a slower earlier one
  try { r = await api('GET', `/api/users/${state.user.id}/recommendations?${q}`); } catch (e) {
    if (seq === forYouSeq) { note.hidden = false; note.textContent = `No list: ${e.message}`; }
    return;
  }
  if (seq !== forYouSeq) return;
  note.hidden = r.recommendations.length > 0;
  note.textContent = r.recommendations.length ? '' : 'Nothing matches these filters yet.';
  list.textContent = '';
  const before = new Set(lastForYou);
  for (const m of r.recommendations) {
    const li = el('li', { class: flash && !before.has(m.id) ? 'new' : null, 'data-movie': m.id, 'data-year': m.year || '', 'data-genres': (m.genres || []).join('|') },
      el('div', { class: 'row' },
        el('a', { href: `#/movie/${m.id}` }, m.title),
        el('span', { class: 'score', title: 'predicted rating' }, `★ ${m.prediction.toFixed(1)}`),
        el('button', { type: 'button', class: 'ni', title: 'not interested', 'aria-label': `Not interested in ${bareTitle(m.title)}`,
          onclick: () => setRating(m.id, m.title, MIN(), { notInterested: true }).catch((e) => toast(e.message)) }, '✕')),
      because(m.because));
    list.append(li);
  }
  const lr = state.lastRated;
  why.textContent = flash && lr ? (lr.rating == null ? `Updated: you cleared ${bareTitle(lr.title)}.`
    : `Updated for your rating of ${bareTitle(lr.title)} (${fmtStars(lr.rating)}).`) : '';
  lastForYou = r.recommendations.map((m) => m.id);
  list.dataset.version = String(Number(list.dataset.version || 0) + 1);
}

// ---- views ----

// Well-known movies across genres and decades: the most-rated 300, taken in
// order while their first genre and decade are still rare in the pick.
function diverse(movies, n) {
  const byG = new Map(), byD = new Map(), out = [];
  for (const pass of [1, 2]) {
    for (const m of movies) {
      if (out.length >= n) break;
      if (out.includes(m)) continue;
      const g = (m.genres || [])[0] || '?', d = Math.floor((m.year || 0) / 10);
      if (pass === 1 && ((byG.get(g) || 0) >= 1 || (byD.get(d) || 0) >= 2)) continue;
      out.push(m); byG.set(g, (byG.get(g) || 0) + 1); byD.set(d, (byD.get(d) || 0) + 1);
    }
  }
  return out;
}

async function showHome() {
  const v = view();
  v.textContent = '';
  const pop = await api('GET', '/api/movies?limit=200');
  const n = state.ratings.size;
  const skipped = localStorage.getItem('mfrec.skipStart') === '1';
  if (n < 3 && !skipped) {
    const picks = diverse(pop.movies, 12);
    const progress = el('p', { id: 'start-progress' }, `${n} of 3 rated`);
    v.append(el('div', { class: 'panel', id: 'start' },
      el('h1', {}, 'Welcome! Rate a few movies you know'),
      el('p', { class: 'muted' }, 'Three ratings are enough for a first “For you” list — it updates the moment each rating is saved. Half stars are fine; use the arrow keys or tap. No account needed: a private profile is created on your first rating and kept in this browser.'),
      progress,
      el('button', { type: 'button', class: 'btn secondary', id: 'skip', onclick: () => { localStorage.setItem('mfrec.skipStart', '1'); route(); } }, 'Skip — show popular movies')),
    el('div', { class: 'grid', id: 'popular' }, picks.map((m) => card(m))));
    const onRated = () => {
      if (!progress.isConnected) { document.removeEventListener('rated', onRated); return; }
      const k = state.ratings.size;
      progress.textContent = k >= 3 ? `${k} rated — your first list is ready in “For you”.` : `${k} of 3 rated`;
    };
    document.addEventListener('rated', onRated);
  } else {
    v.append(el('h1', {}, 'Popular movies'), el('p', { class: 'muted' }, 'Rate more to sharpen your list.'),
      el('div', { class: 'grid', id: 'popular' }, pop.movies.slice(0, 24).map((m) => card(m))));
  }
}

async function showSearch(q) {
  const v = view();
  v.textContent = '';
  v.append(el('h1', {}, `Results for “${q}”`));
  const r = await api('GET', `/api/movies?q=${encodeURIComponent(q)}&limit=40`);
  if (!r.movies.length) { v.append(el('p', { class: 'muted' }, 'No movie matches that title.')); return; }
  const typo = r.movies[0].match === 'typo';
  v.append(el('p', { class: 'muted', id: 'search-note' }, typo ? `No exact match — did you mean one of these? (${r.total} close titles)` : `${r.total} found`),
    el('div', { class: 'grid', id: 'results' }, r.movies.map((m) => card(m))));
}

function histogram(h) {
  if (!h) return null;
  const max = Math.max(...h, 1), W = 300, H = 90, bw = W / h.length;
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H + 16}`, class: 'hist', role: 'img',
    'aria-label': 'Ratings by half star: ' + h.map((c, i) => `${(i + 1) / 2}: ${c}`).join(', ') });
  h.forEach((c, i) => {
    const bh = Math.round((c / max) * H);
    const rect = svgEl('rect', { x: (i * bw + 2).toFixed(1), y: String(H - bh), width: (bw - 4).toFixed(1), height: String(bh) });
    const t = svgEl('title'); t.textContent = `${(i + 1) / 2} ★: ${c}`; rect.append(t);
    svg.append(rect);
    if (i % 2 === 1) { const tx = svgEl('text', { x: (i * bw + bw / 2).toFixed(1), y: String(H + 13), 'text-anchor': 'middle' }); tx.textContent = String((i + 1) / 2); svg.append(tx); }
  });
  return el('figure', { class: 'histfig' }, svg, el('figcaption', { class: 'muted small' }, 'training ratings by half star'));
}

async function showMovie(id) {
  const v = view();
  v.textContent = '';
  const m = await api('GET', `/api/movies/${id}`);
  state.titles.set(m.id, m.title);
  const links = [];
  if (m.imdb_id) links.push(el('a', { href: `https://www.imdb.com/title/tt${String(m.imdb_id).padStart(7, '0')}/`, rel: 'noopener noreferrer', target: '_blank', id: 'imdb' }, 'IMDb'));
  if (m.tmdb_id) links.push(el('a', { href: `https://www.themoviedb.org/movie/${m.tmdb_id}`, rel: 'noopener noreferrer', target: '_blank', id: 'tmdb' }, 'TMDB'));
  const panel = el('div', { class: 'panel', id: 'movie' },
    el('h1', {}, m.title), genresOf(m), metaOf(m),
    m.tags && m.tags.length ? el('p', { class: 'usertags', id: 'movie-tags' }, el('span', { class: 'muted small' }, 'Tagged: '), m.tags.map((t) => el('span', { class: 'utag' }, t))) : null,
    links.length ? el('p', { class: 'links' }, links.flatMap((a, i) => (i ? [' · ', a] : [a]))) : null,
    histogram(m.histogram),
    el('p', {}, el('span', { class: 'label' }, 'Your rating: '), stars(m, false)));
  v.append(panel);
  const simBox = el('div', { class: 'panel' }, el('h2', {}, 'Similar movies'));
  const captions = {
    cooccurrence: 'watched together: by who rated both movies, and how highly',
    pearson: 'by the correlation of the movies’ latent factors',
    cosine: 'by the cosine of the movies’ latent factors',
  };
  const metric = el('select', { id: 'sim-metric', onchange: () => { caption.textContent = captions[metric.value]; loadSim(); } },
    el('option', { value: 'cooccurrence' }, 'watched together'));
  if (state.caps && state.caps.factorSim) metric.append(el('option', { value: 'pearson' }, 'Pearson of factors'), el('option', { value: 'cosine' }, 'cosine of factors'));
  const caption = el('span', { class: 'muted' }, captions.cooccurrence);
  const ul = el('ul', { class: 'list', id: 'similar' });
  simBox.append(el('p', {}, el('label', {}, 'Similarity ', metric), ' ', caption), ul);
  v.append(simBox);
  async function loadSim() {
    const who = state.user ? `&user=${state.user.id}` : '';
    const s = await api('GET', `/api/movies/${id}/similar?n=12&metric=${metric.value}${who}`).catch(() => ({ similar: [] }));
    ul.textContent = '';
    for (const x of s.similar)
      ul.append(el('li', {}, el('span', {}, el('a', { href: `#/movie/${x.id}` }, x.title), ' ', el('span', { class: 'muted small' }, `(${x.score.toFixed(3)})`), because(x.because)), stars(x, true)));
    if (!s.similar.length) ul.append(el('li', { class: 'muted' }, 'No similar movies with enough ratings.'));
  }
  await loadSim();
}

async function showRatings() {
  const v = view();
  v.textContent = '';
  v.append(el('h1', {}, 'My ratings'));
  if (!state.user || !state.ratings.size) { v.append(el('p', { class: 'muted' }, 'You have not rated anything yet.')); return; }
  await loadRatings();
  let key = 'time', dir = -1;
  const table = el('table', { class: 'ratings', id: 'my-ratings' });
  const cols = [['title', 'Title'], ['rating', 'Your rating'], ['time', 'Date']];
  const head = el('tr', {});
  const draw = () => {
    const rows = [...state.ratings.entries()].map(([id, r]) => ({ id, title: state.titles.get(id) || `movie ${id}`, rating: r.rating, time: r.time }));
    rows.sort((a, b) => (key === 'title' ? a.title.localeCompare(b.title) : a[key] - b[key]) * dir || a.id - b.id);
    head.textContent = '';
    for (const [k, label] of cols) {
      head.append(el('th', { scope: 'col', 'aria-sort': k === key ? (dir > 0 ? 'ascending' : 'descending') : 'none' },
        el('button', { type: 'button', class: 'sort', onclick: () => { if (key === k) dir = -dir; else { key = k; dir = k === 'title' ? 1 : -1; } draw(); } },
          label, k === key ? (dir > 0 ? ' ▲' : ' ▼') : '')));
    }
    tbody.textContent = '';
    for (const r of rows)
      tbody.append(el('tr', { 'data-movie': r.id },
        el('td', {}, el('a', { href: `#/movie/${r.id}` }, r.title)),
        el('td', {}, stars({ id: r.id, title: r.title }, true), r.rating === MIN() ? el('span', { class: 'muted small' }, ' not interested') : null),
        el('td', {}, el('time', { datetime: new Date(r.time * 1000).toISOString() }, new Date(r.time * 1000).toLocaleDateString()))));
  };
  const tbody = el('tbody', {});
  table.append(el('caption', { class: 'sr-only' }, 'Your ratings; the column buttons sort'), el('thead', {}, head), tbody);
  v.append(el('p', { class: 'muted' }, `${state.ratings.size} movies. ✕ in “For you” stores ${MIN()} ★ (not interested); clear it here to undo.`), table);
  draw();
}

// ---- map ----

const GENRE_COLOURS = [
  ['Drama', '#1f77b4'], ['Comedy', '#e8a33d'], ['Action', '#d62728'], ['Thriller', '#7f3c8d'],
  ['Adventure', '#2ca02c'], ['Sci-Fi', '#17becf'], ['Crime', '#8c564b'], ['Horror', '#3b3b3b'],
  ['Animation', '#e377c2'], ['Romance', '#ff7f7f'], ['Children', '#bcbd22'], ['Documentary', '#6b8e23'],
];
function mapGenre(m) {
  // the first of the movie's genres in palette order beyond Drama/Comedy, so
  // "Action|Comedy" reads as Action and the map is not all Drama
  const gs = m.genres || [];
  for (const [g] of GENRE_COLOURS.slice(2)) if (gs.includes(g)) return g;
  for (const [g] of GENRE_COLOURS.slice(0, 2)) if (gs.includes(g)) return g;
  return 'Other';
}

async function showMap() {
  const v = view();
  v.textContent = '';
  v.append(el('h1', {}, 'Map of movies'));
  if (state.caps && !state.caps.map) {
    v.append(el('p', { class: 'panel', id: 'map-off' }, `This server’s model (${state.caps.algo}) has no movie factors to place on a map. Search, ratings and “For you” work as usual.`));
    return;
  }
  v.append(el('p', { class: 'muted' }, 'The 600 most-rated movies placed by the first two principal components of their latent factors: neighbours tend to be liked by the same people. Colour: genre. Ringed: movies you rated. Scroll or use the buttons to zoom, drag to pan; hover for titles, click to open.'));
  const [r, info] = await Promise.all([api('GET', '/api/map?limit=600'), api('GET', '/api/movies?limit=200')]);
  const meta = new Map(info.movies.map((m) => [m.id, m]));
  const W = 1000, H = 620, pad = 24;
  const xs = r.points.map((p) => p.x), ys = r.points.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const maxc = Math.max(...r.points.map((p) => p.rating_count), 1);
  const pts = r.points.map((p) => ({ ...p, px: pad + ((p.x - x0) / (x1 - x0 || 1)) * (W - 2 * pad), py: pad + (1 - (p.y - y0) / (y1 - y0 || 1)) * (H - 2 * pad), r: 2.5 + 6 * Math.sqrt(p.rating_count / maxc) }));
  const genreOf = (p) => p.genres ? mapGenre(p) : meta.has(p.id) ? mapGenre(meta.get(p.id)) : 'Other';
  const colour = new Map([...GENRE_COLOURS, ['Other', '#9aa1ad']]);
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, id: 'map', role: 'img', 'aria-label': `Map of ${pts.length} movies by taste; colours are genres` });
  const gDots = svgEl('g'), gLabels = svgEl('g', { class: 'labels' });
  svg.append(gDots, gLabels);
  const tip = el('div', { class: 'tip', role: 'tooltip' });
  const used = new Set();
  for (const p of pts) {
    const g = genreOf(p); used.add(g);
    const c = svgEl('circle', { cx: p.px.toFixed(1), cy: p.py.toFixed(1), r: p.r.toFixed(1), fill: colour.get(g), 'data-genre': g, 'data-movie': p.id });
    if (state.ratings.has(p.id)) c.classList.add('rated');
    const t = svgEl('title'); t.textContent = `${p.title} · ${g}`; c.append(t);
    c.addEventListener('mousemove', (ev) => { tip.textContent = p.title; tip.style.display = 'block'; tip.style.left = (ev.clientX + 12) + 'px'; tip.style.top = (ev.clientY + 12) + 'px'; });
    c.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
    c.addEventListener('click', () => { if (!dragged) location.hash = `#/movie/${p.id}`; });
    gDots.append(c);
  }
  // zoom and pan: the viewBox
  let vb = { x: 0, y: 0, w: W, h: H }, dragged = false;
  const apply = () => { svg.setAttribute('viewBox', `${vb.x.toFixed(1)} ${vb.y.toFixed(1)} ${vb.w.toFixed(1)} ${vb.h.toFixed(1)}`); svg.dataset.zoom = (W / vb.w).toFixed(2); placeLabels(); };
  const zoom = (f, cx, cy) => {
    const nw = Math.min(W, Math.max(W / 16, vb.w / f)), k = nw / vb.w;
    cx = cx == null ? vb.x + vb.w / 2 : cx; cy = cy == null ? vb.y + vb.h / 2 : cy;
    vb = { x: cx - (cx - vb.x) * k, y: cy - (cy - vb.y) * k, w: nw, h: vb.h * k };
    apply();
  };
  const toSvg = (ev) => { const b = svg.getBoundingClientRect(); return [vb.x + ((ev.clientX - b.left) / b.width) * vb.w, vb.y + ((ev.clientY - b.top) / b.height) * vb.h]; };
  svg.addEventListener('wheel', (ev) => { ev.preventDefault(); const [cx, cy] = toSvg(ev); zoom(ev.deltaY < 0 ? 1.25 : 0.8, cx, cy); }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (ev) => { drag = { x: ev.clientX, y: ev.clientY, vb: { ...vb } }; dragged = false; });
  window.addEventListener('pointerup', () => { drag = null; });
  svg.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const b = svg.getBoundingClientRect(), dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) dragged = true;
    if (!dragged) return;
    vb = { ...vb, x: drag.vb.x - (dx / b.width) * vb.w, y: drag.vb.y - (dy / b.height) * vb.h };
    apply();
  });
  // labels: the most-rated movies in view, placed right or left of the dot
  // only where they overlap no label already placed
  function placeLabels() {
    gLabels.textContent = '';
    const scale = vb.w / W, fs = 12 * scale, boxes = [];
    let placed = 0;
    for (const p of pts) {
      if (placed >= 18) break;
      if (p.px < vb.x || p.px > vb.x + vb.w || p.py < vb.y || p.py > vb.y + vb.h) continue;
      const name = bareTitle(p.title), text = name.length > 24 ? name.slice(0, 23) + '…' : name;
      const w = text.length * fs * 0.56, h = fs * 1.2;
      for (const side of [1, -1]) {
        const bx = side > 0 ? p.px + p.r + 3 * scale : p.px - p.r - 3 * scale - w, by = p.py - h / 2;
        if (bx < vb.x || bx + w > vb.x + vb.w) continue;
        if (boxes.some((q) => bx < q.x + q.w && bx + w > q.x && by < q.y + q.h && by + h > q.y)) continue;
        boxes.push({ x: bx, y: by, w, h });
        const tx = svgEl('text', { x: bx.toFixed(1), y: (p.py + fs * 0.35).toFixed(1) });
        tx.style.fontSize = `${fs.toFixed(2)}px`; tx.style.strokeWidth = `${(3 * scale).toFixed(2)}px`;
        tx.textContent = text;
        gLabels.append(tx);
        placed++;
        break;
      }
    }
  }
  const legend = el('ul', { class: 'legend', id: 'map-legend', 'aria-label': 'Genre colours' },
    [...GENRE_COLOURS, ['Other', '#9aa1ad']].filter(([g]) => used.has(g)).map(([g, c]) => {
      const sw = el('span', { class: 'swatch', 'aria-hidden': 'true' }); sw.style.background = c;
      return el('li', {}, sw, g);
    }),
    el('li', {}, el('span', { class: 'swatch ring', 'aria-hidden': 'true' }), 'rated by you'));
  const tools = el('div', { class: 'map-tools' },
    el('button', { type: 'button', class: 'btn secondary', id: 'zoom-in', 'aria-label': 'Zoom in', onclick: () => zoom(1.5) }, '+'),
    el('button', { type: 'button', class: 'btn secondary', id: 'zoom-out', 'aria-label': 'Zoom out', onclick: () => zoom(1 / 1.5) }, '−'),
    el('button', { type: 'button', class: 'btn secondary', id: 'zoom-reset', onclick: () => { vb = { x: 0, y: 0, w: W, h: H }; apply(); } }, 'Reset'));
  v.append(el('div', { class: 'map-wrap' }, tools, svg, legend), tip);
  apply();
}

// ---- routing, start-up ----

async function route() {
  const h = decodeURIComponent(location.hash.slice(1) || '/');
  const parts = h.split('/').filter(Boolean);
  try {
    if (parts[0] === 'movie' && /^\d+$/.test(parts[1] || '')) await showMovie(Number(parts[1]));
    else if (parts[0] === 'search') await showSearch(parts.slice(1).join('/'));
    else if (parts[0] === 'map') await showMap();
    else if (parts[0] === 'ratings') await showRatings();
    else await showHome();
  } catch (e) {
    view().textContent = '';
    view().append(el('p', { class: 'error' }, e.message));
  }
}

// What the served model can do (/api/health, from describe.c): the map and
// factor similarities need movie factors; the page hides what would fail.
async function health() {
  try {
    const h = await api('GET', '/api/health');
    const routes = h.model && h.routes ? h.routes : {};
    state.caps = {
      algo: h.model.algo, min: h.model.rating_min || 0.5, max: h.model.rating_max || 5,
      map: !/not available/.test(routes.map || ''), factorSim: !/not available/.test(routes.similar || ''),
    };
    $('#health').textContent = `model ${h.model.algo} v${h.model.version} · ${h.model.movies} movies` + (h.model.factors ? ` · ${h.model.factors} factors` : '');
    const off = [];
    if (!state.caps.map) off.push('no map of movies');
    if (!state.caps.factorSim) off.push('similar movies by “watched together” only');
    const caps = $('#caps');
    if (off.length) {
      caps.hidden = false;
      caps.textContent = `This server’s model (${h.model.algo}) offers ${off.join(' and ')}. Ratings, search and “For you” work as usual.`;
    }
    if (!state.caps.map) $('#nav-map').title = 'not available for this model';
  } catch (e) { $('#health').textContent = 'server unreachable'; }
}

function fillFilters(movies) {
  const gs = new Set();
  for (const m of movies) for (const g of m.genres || []) gs.add(g);
  const sel = $('#f-genre');
  for (const g of [...gs].sort()) sel.append(el('option', { value: g }, g));
  const years = movies.map((m) => m.year).filter(Boolean);
  const d = $('#f-decade');
  if (years.length) for (let y = Math.floor(Math.max(...years) / 10) * 10; y >= Math.max(1900, Math.floor(Math.min(...years) / 10) * 10); y -= 10) d.append(el('option', { value: String(y) }, `${y}s`));
  for (const s of [sel, d]) s.addEventListener('change', () => { state.lastRated = null; refreshForYou(false); });
}

async function main() {
  $('#search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = $('#search').value.trim();
    if (q) location.hash = `#/search/${encodeURIComponent(q)}`;
  });
  window.addEventListener('hashchange', () => { route().then(() => view().focus({ preventScroll: true })); });
  loadUser();
  await Promise.all([loadRatings(), health()]);
  renderWho();
  api('GET', '/api/movies?limit=200').then((r) => fillFilters(r.movies)).catch(() => {});
  await Promise.all([route(), refreshForYou(false)]);
  document.body.dataset.ready = '1';
}
main();
