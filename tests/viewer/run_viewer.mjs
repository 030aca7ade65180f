// Headless Chromium (the system's, by path) opens a viewer page and plays it; the Python test checks the results.
// Usage: node run_viewer.mjs CONFIG.json (tests/viewer/conftest.py: run_in_chromium)
// CONFIG: {chromium, userDataDir, pageUrl, width, height, seekTimes: [s], play: {from, rate, ms} | null,
//          screenshot: {time, png} | null, output}
// Writes {seeks: [state], play: {samples: [[wallMs, clockTime, frameTime]], final: state}, coverage, console}.
// playwright-core comes from tests/browser's node_modules (npm ci --prefix tests/browser).
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from '../browser/node_modules/playwright-core/index.mjs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const context = await chromium.launchPersistentContext(config.userDataDir, {
  executablePath: config.chromium,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
    '--autoplay-policy=no-user-gesture-required', '--mute-audio',
  ],
  viewport: { width: config.width, height: config.height },
});
const consoleLines = [];
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  await page.goto(config.pageUrl);
  await page.waitForFunction(() => document.querySelector('.fm-viewer')?.facemotionViewer, null, { timeout: 60000 });
  await page.evaluate(async () => {
    const viewer = document.querySelector('.fm-viewer').facemotionViewer;
    await viewer.ready;
    // what the heads show, read inside an animation frame after the viewer's own
    window.snapshot = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve({
      clockTime: viewer.clock.currentTime,
      frameTime: viewer.frameTime,
      poses: viewer.views.map((_, k) => viewer.pose(k)),
    }))));
    window.seekTo = (t) => new Promise((resolve) => {
      viewer.clock.addEventListener('seeked', resolve, { once: true });
      viewer.clock.currentTime = t;
    }).then(window.snapshot);
  });
  const info = await page.evaluate(() => {
    const viewer = document.querySelector('.fm-viewer').facemotionViewer;
    return { duration: viewer.duration, audio: viewer.clock instanceof HTMLMediaElement,
      labels: [...document.querySelectorAll('.fm-label')].map((label) => label.textContent),
      legend: [...document.querySelectorAll('.fm-legend span')].map((item) => item.textContent) };
  });
  const seeks = [];
  for (const t of config.seekTimes) seeks.push(await page.evaluate((time) => window.seekTo(time), t));
  let play = null;
  if (config.play) {
    play = await page.evaluate(async ({ from, rate, ms }) => {
      const { clock } = document.querySelector('.fm-viewer').facemotionViewer;
      await window.seekTo(from);
      clock.playbackRate = rate;
      await clock.play();
      const samples = [];
      const start = performance.now();
      while (performance.now() - start < ms) {
        const state = await window.snapshot();
        samples.push([performance.now() - start, state.clockTime, state.frameTime]);
      }
      clock.pause();
      return { samples, final: await window.snapshot() };
    }, config.play);
  }
  let coverage = null;
  if (config.screenshot) {
    await page.evaluate((time) => window.seekTo(time), config.screenshot.time);
    // the fraction of each head's pixels that differ from the background: a drawn head, not an empty canvas
    coverage = await page.evaluate(() => [...document.querySelectorAll('.fm-head canvas')].map((canvas) => {
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const g = copy.getContext('2d');
      g.drawImage(canvas, 0, 0);
      const rgba = g.getImageData(0, 0, copy.width, copy.height).data;
      const back = [rgba[0], rgba[1], rgba[2]];
      let count = 0;
      for (let i = 0; i < rgba.length; i += 4) {
        if ([0, 1, 2].some((c) => Math.abs(rgba[i + c] - back[c]) > 24)) count += 1;
      }
      return count / (copy.width * copy.height);
    }));
    await page.locator('.fm-viewer').screenshot({ path: config.screenshot.png });
  }
  writeFileSync(config.output, JSON.stringify({ info, seeks, play, coverage, console: consoleLines }));
} catch (error) {
  console.error(consoleLines.join('\n'));
  throw error;
} finally {
  await context.close();
}
