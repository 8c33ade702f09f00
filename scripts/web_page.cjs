// Opens a page in headless Chromium in real time (Chromium's virtual clock starves WebGPU frames), waits until
// COUNT console lines match PATTERN (or TIMEOUT_MS passes), waits two more frames' worth, saves a screenshot and
// prints the console lines as JSON.
// Usage: node web_page.cjs URL PATTERN COUNT TIMEOUT_MS SCREENSHOT FLAGS_JSON
// Needs puppeteer-core on NODE_PATH (scripts/test and scripts/bench-web install it under ~/.cache/floe-tools).
const puppeteer = require("puppeteer-core");

(async () => {
  const [url, pattern, count, timeout, screenshot, flags] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-quic", "--window-size=1024,700", ...JSON.parse(flags)],
  });
  const lines = [];
  let matches = 0;
  let done;
  const matched = new Promise((resolve) => (done = resolve));
  const page = await browser.newPage();
  await page.setViewport({ width: 1024, height: 700 });
  page.on("console", (message) => {
    lines.push(message.text());
    if (new RegExp(pattern).test(message.text()) && ++matches >= Number(count)) done();
  });
  page.on("pageerror", (error) => lines.push(`pageerror: ${error.message}`));
  await page.goto(url);
  let timer;
  await Promise.race([matched, new Promise((resolve) => (timer = setTimeout(resolve, Number(timeout))))]);
  clearTimeout(timer);
  await new Promise((resolve) => setTimeout(resolve, 700));
  if (screenshot !== "-") await page.screenshot({ path: screenshot });
  console.log(JSON.stringify(lines));
  await browser.close();
  process.exit(0);
})();
