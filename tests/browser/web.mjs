// web.mjs — drives the mfrec page in headless chromium (playwright-core):
// search a movie, open it, see similar movies, create a profile by rating,
// rate five movies, see "For you" appear and change, explore the map, and
// save screenshots. Any console error (a CSP violation included) fails.
// usage: node web.mjs BASE_URL ARTIFACT_DIR QUERY CHROMIUM_PATH
import { chromium } from 'playwright-core';

const [base, art, query, exe] = process.argv.slice(2);
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; throw new Error(msg); };
const ok = (msg) => console.log('ok: ' + msg);

const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(base + '/');
  await page.waitForSelector('#start');
  await page.waitForSelector('#popular .card');
  const nstars = await page.$$eval('#popular .card .stars button', (bs) => bs.length);
  if (nstars < 5 * 12) fail(`start screen offers ${nstars} star buttons`);
  await page.screenshot({ path: `${art}/web-start.png` });
  ok('start screen asks for ratings of popular movies');

  await page.fill('#search', query);
  await page.press('#search', 'Enter');
  await page.waitForSelector('#results .card');
  const titles = await page.$$eval('#results .card .title', (as) => as.map((a) => a.textContent));
  const hit = titles.find((t) => t.toLowerCase().includes(query.toLowerCase()));
  if (!hit) fail(`search "${query}" found ${JSON.stringify(titles.slice(0, 5))}`);
  ok(`search "${query}": ${titles.length} results, first ${titles[0]}`);

  await page.click(`#results .card .title >> text="${hit}"`);
  await page.waitForSelector('#movie h1');
  const h1 = await page.textContent('#movie h1');
  if (h1 !== hit) fail(`movie page shows "${h1}", expected "${hit}"`);
  await page.waitForSelector('#similar li a');
  const nsim = await page.$$eval('#similar li a', (as) => as.length);
  if (nsim < 5) fail(`only ${nsim} similar movies`);
  ok(`movie page "${h1}" with ${nsim} similar movies`);

  const forYou = () => page.$$eval('#foryou li a', (as) => as.map((a) => a.textContent));
  const version = () => page.$eval('#foryou', (e) => Number(e.dataset.version || 0));
  if ((await forYou()).length) fail('"For you" not empty before any rating');

  // first rating: creates the profile
  let v = await version();
  await page.click('#movie .stars button[aria-label="rate 5"]');
  await page.waitForFunction((v0) => Number(document.querySelector('#foryou').dataset.version || 0) > v0, v);
  const who = await page.textContent('#who');
  if (!/profile #\d+/.test(who)) fail(`no profile shown after the first rating: "${who}"`);
  const first = await forYou();
  if (first.length === 0) fail('"For you" still empty after a rating');
  ok(`profile created (${who.trim()}); For you: ${first.slice(0, 3).join(' | ')}`);

  // four more: the top similar movies
  const simStars = await page.$$('#similar li .stars');
  for (let k = 0; k < 4; k++) {
    v = await version();
    await simStars[k].$('button[aria-label="rate 4"]').then((b) => b.click());
    await page.waitForFunction((v0) => Number(document.querySelector('#foryou').dataset.version || 0) > v0, v);
  }
  const fifth = await forYou();
  if (JSON.stringify(fifth) === JSON.stringify(first)) fail('"For you" did not change after five ratings');
  ok(`after 5 ratings For you changed: ${fifth.slice(0, 3).join(' | ')}`);

  const user = await page.evaluate(() => JSON.parse(localStorage.getItem('mfrec.user')));
  const stored = await page.evaluate(async (id) => (await (await fetch(`/api/users/${id}/ratings`)).json()).ratings.length, user.id);
  if (stored !== 5) fail(`server holds ${stored} ratings, expected 5`);
  ok('server holds the 5 ratings');
  await page.screenshot({ path: `${art}/web.png`, fullPage: true });

  await page.click('a[href="#/map"]');
  await page.waitForSelector('#map circle');
  const npts = await page.$$eval('#map circle', (cs) => cs.length);
  if (npts < 50) fail(`map shows ${npts} movies`);
  const tip = await page.$eval('#map circle title', (t) => t.textContent);
  if (!tip) fail('map points have no titles');
  // Points overlap: hover the first one even when a neighbour is on top.
  await page.hover('#map circle >> nth=0', { force: true });
  ok(`map with ${npts} movies, hover title "${tip}"`);
  await page.screenshot({ path: `${art}/web-map.png` });

  if (errors.length) fail('console errors: ' + errors.join(' / '));
  console.log(`screenshots in ${art}: web-start.png, web.png, web-map.png`);
  console.log('PASS web');
} finally {
  await browser.close();
}
