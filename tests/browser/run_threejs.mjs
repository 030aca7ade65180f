// Headless Chromium (the system's, given by path) opens gltf_threejs.html and runs its checks.
// Usage: node run_threejs.mjs CONFIG.json
// CONFIG: {chromium, userDataDir, pageUrl, files: [{url, times, vertices?}], render: {url, time, width, height, png},
//          output}; writes {files: [sample results], render: {...}, console: [...]} to CONFIG.output.
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const context = await chromium.launchPersistentContext(config.userDataDir, {
  executablePath: config.chromium,
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // WebGL without a GPU: SwiftShader through ANGLE (no longer a silent fallback in recent Chromium).
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  ],
  viewport: { width: config.render.width, height: config.render.height },
});
const consoleLines = [];
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  await page.goto(config.pageUrl);
  await page.waitForFunction(() => window.facemotionReady === true, null, { timeout: 20000 });
  const files = [];
  for (const file of config.files) {
    files.push(await page.evaluate(({ url, times, vertices }) => window.facemotion.sample(url, times, vertices), file));
  }
  const { url, time, width, height, png } = config.render;
  const render = await page.evaluate((args) => window.facemotion.render(...args), [url, time, width, height]);
  await page.locator('canvas').screenshot({ path: png });
  writeFileSync(config.output, JSON.stringify({ files, render, console: consoleLines }));
} catch (error) {
  console.error(consoleLines.join('\n'));
  throw error;
} finally {
  await context.close();
}
