// web.mjs — drives the mfrec page in headless chromium (playwright-core),
// every flow of docs/web.md: the start screen (diverse movies, skip), title
// search as people type it ("The Matrix", "the godfather", a typo), a movie
// page (histogram, IMDb/TMDB links from links.csv, href only), a 3.5 rating
// with the keyboard, ratings by pointer, "For you" saying "because you
// liked", genre and decade filters, "not interested" and its undo, "My
// ratings" (sorted, dated) and clearing a rating there, the map (legend,
// zoom, labels that do not overlap, rated movies ringed), a phone (touch a
// half star, no sideways scrolling), an axe-core check
// (no serious or critical violation) of each page, and — with a second
// server — a knn-item model end to end (no map, said up front; ratings still
// shape the list). Any console error (a CSP violation included) fails.
// Screenshots go to ARTIFACT_DIR.
// usage: node web.mjs BASE_URL ARTIFACT_DIR DATA CHROMIUM_PATH [KNN_BASE_URL]
//   DATA: movielens (ml-latest-small titles checked) or synthetic
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [base, art, data, exe, knnBase] = process.argv.slice(2);
const ml = data === 'movielens';
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; throw new Error(msg); };
const ok = (msg) => console.log('ok: ' + msg);
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox'] });
const shots = [];
async function shot(page, name, full) { await page.screenshot({ path: `${art}/${name}.png`, fullPage: !!full }); shots.push(`${name}.png`); }

// axe-core, injected through the devtools protocol (not subject to the CSP)
async function axeCheck(page, what) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, n: v.nodes.length, first: v.nodes[0] && v.nodes[0].target.join(' ') }));
  });
  const bad = res.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) fail(`axe on ${what}: ${JSON.stringify(bad)}`);
  ok(`axe on ${what}: no serious violations${res.length ? ` (minor: ${res.map((v) => v.id).join(', ')})` : ''}`);
}

function watch(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}
const version = (page) => page.$eval('#foryou', (e) => Number(e.dataset.version || 0));
const bumped = (page, v0) => page.waitForFunction((v) => Number(document.querySelector('#foryou').dataset.version || 0) > v, v0);
const serverRatings = (page) => page.evaluate(async () => {
  const u = JSON.parse(localStorage.getItem('mfrec.user'));
  const r = await (await fetch(`/api/users/${u.id}/ratings`)).json();
  return Object.fromEntries(r.ratings.map((x) => [x.movie, x.rating]));
});
// a click at fraction f of the stars' width: f = 0.75 is 3.5+ (the 8th half)
async function clickStars(page, handle, f) {
  const b = await handle.boundingBox();
  await page.mouse.click(b.x + b.width * f, b.y + b.height / 2);
}
async function search(page, q) {
  await page.fill('#search', q);
  await page.press('#search', 'Enter');
  await page.waitForFunction((qq) => document.querySelector('#view h1') && document.querySelector('#view h1').textContent.includes(qq), q);
  await page.waitForSelector('#results .card, #view p.muted');
  return page.$$eval('#results .card .title', (as) => as.map((a) => a.textContent));
}

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watch(page);
  await page.goto(base + '/');
  await page.waitForSelector('#start');
  await page.waitForFunction(() => document.body.dataset.ready === '1');

  // ---- start screen: well-known movies across genres and decades ----
  const picks = await page.$$eval('#popular .card', (cs) => cs.map((c) => ({
    id: Number(c.dataset.movie), genre: (c.querySelector('.tag') || {}).textContent, meta: c.querySelector('.meta').textContent })));
  const top = await page.evaluate(async () => (await (await fetch('/api/movies?limit=12')).json()).movies.map((m) => m.id));
  const genres = new Set(picks.map((p) => p.genre)), decades = new Set(picks.map((p) => (p.meta.match(/^(\d{3})\d/) || [])[1]));
  if (picks.length < 10) fail(`start screen offers ${picks.length} movies`);
  if (JSON.stringify(picks.map((p) => p.id)) === JSON.stringify(top)) fail('start screen is just the top 12 by count');
  if (ml && (genres.size < 6 || decades.size < 3)) fail(`start screen not diverse: genres ${[...genres]}, decades ${[...decades]}`);
  if (!(await page.$('#skip'))) fail('no skip button');
  ok(`start screen: ${picks.length} movies, ${genres.size} first genres, ${decades.size} decades, a skip button`);
  await shot(page, 'web-start');
  await axeCheck(page, 'the start screen');

  // ---- search as people type ----
  if (ml) {
    let t = await search(page, 'The Matrix');
    if (t[0] !== 'Matrix, The (1999)') fail(`"The Matrix" found ${JSON.stringify(t.slice(0, 3))}`);
    ok(`search "The Matrix": ${t[0]}, then ${t[1]}`);
    t = await search(page, 'the godfather');
    if (t[0] !== 'Godfather, The (1972)') fail(`"the godfather" found ${JSON.stringify(t.slice(0, 3))}`);
    ok(`search "the godfather": ${t[0]} first (${t.length} results)`);
    t = await search(page, 'shawshenk redemtion');
    const note = await page.textContent('#search-note');
    if (t[0] !== 'Shawshank Redemption, The (1994)' || !/did you mean/.test(note)) fail(`typo search: ${JSON.stringify(t.slice(0, 2))} / ${note}`);
    ok(`search with typos "shawshenk redemtion": ${t[0]} ("${note}")`);
    await shot(page, 'web-search');
    await search(page, 'the godfather');
  } else {
    const t = await search(page, 'Synthetic Movie 1');
    if (!t.length) fail('synthetic search found nothing');
  }

  // ---- movie page ----
  const first = await page.$eval('#results .card .title', (a) => a.textContent);
  await page.click('#results .card .title >> nth=0');
  await page.waitForSelector('#movie h1');
  if ((await page.textContent('#movie h1')) !== first) fail('movie page title differs from the result');
  const bars = await page.$$eval('#movie .hist rect', (rs) => rs.length);
  if (bars !== 10) fail(`histogram has ${bars} bars`);
  await page.waitForSelector('#similar li a');
  const nsim = await page.$$eval('#similar li a', (as) => as.length);
  if (nsim < 5) fail(`only ${nsim} similar movies`);
  const imdb = await page.$('#imdb');
  if (imdb) {
    const href = await imdb.getAttribute('href');
    if (ml && href !== 'https://www.imdb.com/title/tt0068646/') fail(`IMDb link of The Godfather: ${href}`);
    ok(`IMDb link ${href}, TMDB ${await page.getAttribute('#tmdb', 'href')}`);
  } else if (ml) {
    fail('no IMDb link on the movie page (links.csv ids)');
  }
  const tags = await page.$$eval('#movie-tags .utag', (t) => t.map((x) => x.textContent));
  if (ml && !tags.includes('mafia')) fail(`The Godfather's tags: ${JSON.stringify(tags)}`);
  ok(`movie page "${first}": a 10-bar histogram, tags ${JSON.stringify(tags)}, ${nsim} similar movies`);

  // ---- rate 3.5 with the keyboard: End (5), then three steps left ----
  if ((await page.$$('#foryou li')).length) fail('"For you" not empty before any rating');
  let v = await version(page);
  const movieId = Number(await page.$eval('#movie .stars', (s) => s.dataset.movie));
  await page.focus('#movie .stars');
  await page.keyboard.press('End');
  for (let k = 0; k < 3; k++) await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Enter');
  await bumped(page, v);
  let rs = await serverRatings(page);
  if (rs[movieId] !== 3.5) fail(`keyboard rating stored ${rs[movieId]}, expected 3.5`);
  const now = await page.$eval('#movie .stars', (s) => [s.getAttribute('aria-valuenow'), s.getAttribute('aria-valuetext')]);
  if (now[0] !== '3.5') fail(`slider says ${now}`);
  if (!/profile #\d+/.test(await page.textContent('#who'))) fail('no profile shown after the first rating');
  ok(`rated 3.5 with the keyboard (${now[1]}); the server holds it; profile created`);
  await axeCheck(page, 'a movie page');
  await shot(page, 'web-movie', true);

  // ---- three more by pointer (4.5 and 5), from the similar list ----
  const simStars = await page.$$('#similar li .stars');
  for (let k = 0; k < 3; k++) {
    v = await version(page);
    await clickStars(page, simStars[k], k === 0 ? 0.85 : 0.97);
    await bumped(page, v);
  }
  rs = await serverRatings(page);
  const vals = Object.values(rs).sort();
  if (vals.length !== 4 || !vals.includes(4.5) || !vals.includes(5)) fail(`pointer ratings stored ${JSON.stringify(rs)}`);
  ok(`rated by pointer, half stars included: ${JSON.stringify(vals)}`);

  // ---- "For you": because you liked ... ----
  const rows = () => page.$$eval('#foryou li', (ls) => ls.map((l) => ({ id: Number(l.dataset.movie), year: Number(l.dataset.year), genres: l.dataset.genres.split('|'), why: (l.querySelector('.because') || {}).textContent || '' })));
  let fy = await rows();
  const explained = fy.filter((r) => /^because you liked /.test(r.why));
  if (fy.length < 5 || explained.length < 3) fail(`For you: ${fy.length} rows, ${explained.length} explained`);
  if (!/Updated for your rating of/.test(await page.textContent('#foryou-why'))) fail('no note that the list follows the last rating');
  ok(`For you: ${fy.length} rows, ${explained.length} say why, e.g. "${explained[0].why}"`);

  // similar movies say why too, once there are liked movies
  await page.goto(base + '/#/movie/' + (ml ? 1221 : fy[0].id));
  await page.waitForSelector('#similar li a');
  const simWhy = await page.$$eval('#similar li .because', (b) => b.map((x) => x.textContent));
  if (!simWhy.length || !simWhy.every((t) => /^because you liked /.test(t))) fail(`similar movies: ${JSON.stringify(simWhy)}`);
  ok(`similar movies explained too: ${simWhy.length} rows, e.g. "${simWhy[0]}"`);

  // genre, then decade filters
  v = await version(page);
  await page.selectOption('#f-genre', 'Comedy').catch(() => page.selectOption('#f-genre', { index: 1 }));
  const g = await page.$eval('#f-genre', (s) => s.value);
  await bumped(page, v);
  fy = await rows();
  if (!fy.length || fy.some((r) => !r.genres.includes(g))) fail(`genre filter ${g}: ${JSON.stringify(fy.map((r) => r.genres))}`);
  ok(`genre filter ${g}: ${fy.length} rows, all ${g}`);
  v = await version(page);
  await page.selectOption('#f-genre', '');
  await bumped(page, v);
  if (ml) {
    v = await version(page);
    await page.selectOption('#f-decade', '1990');
    await bumped(page, v);
    fy = await rows();
    if (!fy.length || fy.some((r) => r.year < 1990 || r.year > 1999)) fail(`decade filter: ${JSON.stringify(fy.map((r) => r.year))}`);
    ok(`decade filter 1990s: ${fy.length} rows, years ${Math.min(...fy.map((r) => r.year))}-${Math.max(...fy.map((r) => r.year))}`);
    v = await version(page);
    await page.selectOption('#f-decade', '');
    await bumped(page, v);
  }

  // not interested: hides the movie, stored as the lowest rating; undo
  fy = await rows();
  v = await version(page);
  const hide = fy[0].id;
  await page.click(`#foryou li[data-movie="${hide}"] .ni`);
  await bumped(page, v);
  if ((await rows()).some((r) => r.id === hide)) fail('"not interested" movie still listed');
  rs = await serverRatings(page);
  if (rs[hide] !== 0.5) fail(`not interested stored ${rs[hide]}`);
  ok(`"not interested" hides movie ${hide} (a 0.5 rating: a negative signal)`);
  await page.waitForSelector('#toast:not([hidden]) button');
  v = await version(page);
  await page.click('#toast button');
  await bumped(page, v);
  rs = await serverRatings(page);
  if (hide in rs) fail('undo left the rating in place');
  ok('undo removes it again');
  await shot(page, 'web');

  // ---- My ratings: dated, sortable, a rating cleared ----
  await page.click('a[href="#/ratings"]');
  await page.waitForSelector('#my-ratings tbody tr');
  const nrows = await page.$$eval('#my-ratings tbody tr', (t) => t.length);
  const dated = await page.$$eval('#my-ratings time', (t) => t.filter((x) => x.getAttribute('datetime')).length);
  if (nrows !== 4 || dated !== 4) fail(`My ratings: ${nrows} rows, ${dated} dated`);
  await page.click('#my-ratings th button >> text=Title');
  const titles = await page.$$eval('#my-ratings tbody tr td:first-child', (t) => t.map((x) => x.textContent));
  const sorted = [...titles].sort((a, b) => a.localeCompare(b));
  if (JSON.stringify(titles) !== JSON.stringify(sorted)) fail(`sorted by title: ${JSON.stringify(titles)}`);
  if ((await page.getAttribute('#my-ratings th:first-child', 'aria-sort')) !== 'ascending') fail('aria-sort not set');
  ok(`My ratings: ${nrows} dated rows, sortable by title`);
  await axeCheck(page, 'My ratings');
  const clearId = Number(await page.$eval('#my-ratings tbody tr', (t) => t.dataset.movie));
  await page.click('#my-ratings tbody tr >> nth=0 >> .clear');
  await page.waitForFunction(async (id) => {
    const u = JSON.parse(localStorage.getItem('mfrec.user'));
    const r = await (await fetch(`/api/users/${u.id}/ratings`)).json();
    return !r.ratings.some((x) => x.movie === id);
  }, clearId);
  ok(`cleared the rating of movie ${clearId} (DELETE)`);
  await shot(page, 'web-ratings');

  // ---- map ----
  await page.click('a[href="#/map"]');
  await page.waitForSelector('#map circle');
  const npts = await page.$$eval('#map circle', (cs) => cs.length);
  const legend = await page.$$eval('#map-legend li', (ls) => ls.map((l) => l.textContent));
  const ringed = await page.$$eval('#map circle.rated', (cs) => cs.length);
  if (npts < 50) fail(`map shows ${npts} movies`);
  if (legend.length < 3 || !legend.includes('rated by you')) fail(`map legend: ${legend}`);
  const overlaps = () => page.$$eval('#map .labels text', (ts) => {
    const b = ts.map((t) => t.getBoundingClientRect());
    let n = 0;
    for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++)
      if (b[i].left < b[j].right && b[i].right > b[j].left && b[i].top < b[j].bottom && b[i].bottom > b[j].top) n++;
    return [b.length, n];
  });
  let [nl, nov] = await overlaps();
  if (nl < 5 || nov) fail(`map labels: ${nl} placed, ${nov} overlapping pairs`);
  await page.click('#zoom-in');
  await page.click('#zoom-in');
  const zoom = Number(await page.$eval('#map', (s) => s.dataset.zoom));
  [nl, nov] = await overlaps();
  if (!(zoom > 2) || nov) fail(`zoom ${zoom}, ${nov} overlapping labels`);
  const tip = await page.$eval('#map circle title', (t) => t.textContent);
  await page.hover('#map circle >> nth=0', { force: true });
  ok(`map: ${npts} movies, legend ${legend.join(', ')}; ${ringed} rated ringed; zoom ${zoom}x with ${nl} labels, none overlapping; hover "${tip}"`);
  await axeCheck(page, 'the map');
  await shot(page, 'web-map');
  if (errors.length) fail('console errors: ' + errors.join(' / '));

  // ---- a phone: touch a half star, nothing wider than the screen ----
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const phone = await ctx.newPage();
  const perr = watch(phone);
  await phone.goto(base + '/#/movie/' + movieId);
  await phone.waitForSelector('#movie .stars');
  await phone.waitForFunction(() => document.body.dataset.ready === '1');
  const wide = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (wide > 1) fail(`on a phone the page is ${wide}px wider than the screen`);
  v = await version(phone);
  const pb = await (await phone.$('#movie .stars')).boundingBox();
  await phone.touchscreen.tap(pb.x + pb.width * 0.45, pb.y + pb.height / 2); /* the 5th half: 2.5 */
  await bumped(phone, v);
  const prs = await serverRatings(phone);
  if (prs[movieId] !== 2.5) fail(`touch rating stored ${prs[movieId]}, expected 2.5`);
  ok('phone (390 px): no sideways scrolling; a tap on the stars stores a half star (2.5)');
  await shot(phone, 'web-phone', true);
  if (perr.length) fail('phone console errors: ' + perr.join(' / '));
  await ctx.close();

  // ---- a knn-item model end to end ----
  if (knnBase) {
    const kp = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const kerr = watch(kp);
    await kp.goto(knnBase + '/#/movie/1');
    await kp.waitForSelector('#movie .stars');
    await kp.waitForFunction(() => document.body.dataset.ready === '1');
    const caps = await kp.textContent('#caps');
    if (!(await kp.isVisible('#caps')) || !/no map of movies/.test(caps)) fail(`knn: no capability note (${caps})`);
    const nopts = await kp.$$eval('#sim-metric option', (o) => o.length);
    v = await version(kp);
    await kp.focus('#movie .stars');
    await kp.keyboard.press('4');
    await kp.keyboard.press('Enter');
    await bumped(kp, v);
    await kp.waitForSelector('#similar li .stars');
    const ks = await kp.$$('#similar li .stars');
    for (let k = 0; k < 2; k++) { v = await version(kp); await clickStars(kp, ks[k], 0.97); await bumped(kp, v); }
    const kfy = await kp.$$eval('#foryou li', (ls) => ls.length);
    const note = await kp.$eval('#foryou-note', (n) => (n.hidden ? '' : n.textContent));
    if (kfy < 5 || /fold-in|error|No list/i.test(note)) fail(`knn: For you ${kfy} rows, note "${note}"`);
    await kp.click('a[href="#/map"]');
    await kp.waitForSelector('#map-off');
    ok(`knn-item model: "${caps.slice(0, 60)}…"; ${nopts} similarity option; 3 ratings -> ${kfy} rows; the map page explains itself`);
    await shot(kp, 'web-knn');
    if (kerr.length) fail('knn console errors: ' + kerr.join(' / '));
  }
  console.log(`screenshots in ${art}: ${shots.join(', ')}`);
  console.log('PASS web');
} finally {
  await browser.close();
}
