// report.mjs — open an mfrec HTML report in headless Chromium and check that
// its charts rendered: each expected <svg class="chart"> exists, has a
// non-zero bounding box and non-empty marks (paths, bars, dots), the metrics
// table has rows, and nothing was fetched from the network. Saves a
// full-page screenshot. Usage: node report.mjs report.html shot.png
import { chromium } from 'playwright-core';
import path from 'node:path';

const [, , htmlPath, shotPath] = process.argv;
if (!htmlPath || !shotPath) {
  console.error('usage: node report.mjs report.html shot.png');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
let failures = 0;
const fail = (msg) => { console.error('FAIL: ' + msg); failures++; };
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const remote = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) remote.push(r.url()); });
  await page.goto('file://' + path.resolve(htmlPath), { waitUntil: 'load' });
  if (remote.length) fail('network requests: ' + remote.join(', '));

  // chart id -> selector of its data marks and the minimum count
  const charts = {
    curves: ['path.valid', 1],
    map: ['g.dots circle', 50],
    ratings: ['rect.bar', 5],
    longtail: ['path.tail', 1],
  };
  for (const [id, [marks, min]] of Object.entries(charts)) {
    const svg = page.locator(`svg.chart#${id}`);
    if ((await svg.count()) !== 1) { fail(`chart #${id} missing`); continue; }
    const box = await svg.boundingBox();
    if (!box || box.width < 100 || box.height < 100) fail(`chart #${id} box ${JSON.stringify(box)}`);
    const n = await svg.locator(marks).count();
    if (n < min) fail(`chart #${id}: ${n} × ${marks}, want >= ${min}`);
    // the marks themselves have geometry (a path with a non-empty d draws)
    const first = svg.locator(marks).first();
    const mb = n ? await first.boundingBox() : null;
    if (!mb || (mb.width === 0 && mb.height === 0)) fail(`chart #${id}: first mark has no size`);
    console.log(`ok: #${id} ${Math.round(box?.width)}x${Math.round(box?.height)}, ${n} marks`);
  }
  const labels = await page.locator('svg#map g.labels text').count();
  if (labels < 5) fail(`map labels: ${labels}`);
  const rows = await page.locator('table.metrics tbody tr').count();
  if (rows < 1) fail('metrics table has no rows');
  console.log(`ok: ${labels} map labels, ${rows} table rows`);
  await page.screenshot({ path: shotPath, fullPage: true });
  console.log('screenshot: ' + shotPath);
} catch (e) {
  fail(String(e && e.stack || e));
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
