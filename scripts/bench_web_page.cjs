// Opens a page in headless Chromium (WebGL2 path) in real time and prints its console lines as JSON once one
// matches PATTERN (or after TIMEOUT_MS). Usage: node bench_web_page.cjs URL PATTERN TIMEOUT_MS
// Needs puppeteer-core on NODE_PATH (scripts/bench-web installs it under ~/.cache/floe-tools).
const puppeteer = require("puppeteer-core");

(async () => {
  const [url, pattern, timeout] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader", "--disable-quic", "--window-size=1024,700"],
  });
  const lines = [];
  let done;
  const matched = new Promise((resolve) => (done = resolve));
  const page = await browser.newPage();
  await page.setViewport({ width: 1024, height: 700 });
  page.on("console", (message) => {
    lines.push(message.text());
    if (new RegExp(pattern).test(message.text())) done();
  });
  await page.goto(url);
  await Promise.race([matched, new Promise((resolve) => setTimeout(resolve, Number(timeout)))]);
  console.log(JSON.stringify(lines));
  await browser.close();
  process.exit(0);
})();
