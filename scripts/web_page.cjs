// Opens a page in headless Chromium in real time (Chromium's virtual clock starves WebGPU frames), waits until
// COUNT console lines match PATTERN (or TIMEOUT_MS passes), then runs STEPS, waits two more frames' worth, saves a
// screenshot and prints the console lines as JSON.
// Usage: node web_page.cjs URL PATTERN COUNT TIMEOUT_MS SCREENSHOT FLAGS_JSON [STEPS_JSON [DOWNLOAD_DIR]]
// STEPS: [{"click": [x, y]} | {"wait": "regex", "count": n} | {"sleep": ms}] — a click at page coordinates, a wait
// for n more console lines matching the regex, or a pause (for a frame to show what the click opened).
// Downloads go to DOWNLOAD_DIR.
// Needs puppeteer-core on NODE_PATH (scripts/test and scripts/bench-web install it under ~/.cache/floe-tools).
const puppeteer = require("puppeteer-core");

(async () => {
  const [url, pattern, count, timeout, screenshot, flags, steps, downloads] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-quic", "--window-size=1024,700", ...JSON.parse(flags)],
  });
  if (downloads) {
    const cdp = await browser.target().createCDPSession();
    await cdp.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads });
  }
  const lines = [];
  // Resolves once `n` console lines from now on match `regex` (or after TIMEOUT_MS).
  let waiter = null;
  const waitFor = (regex, n) => {
    let timer;
    const matched = new Promise((resolve) => {
      waiter = { regex: new RegExp(regex), left: Number(n), resolve };
    });
    return Promise.race([matched, new Promise((resolve) => (timer = setTimeout(resolve, Number(timeout))))]).then(
      () => clearTimeout(timer),
    );
  };
  const page = await browser.newPage();
  await page.setViewport({ width: 1024, height: 700 });
  page.on("console", (message) => {
    lines.push(message.text());
    if (waiter && waiter.regex.test(message.text()) && --waiter.left <= 0) waiter.resolve();
  });
  page.on("pageerror", (error) => lines.push(`pageerror: ${error.message}`));
  const first = waitFor(pattern, count);
  await page.goto(url);
  await first;
  for (const step of JSON.parse(steps || "[]")) {
    if (step.click) {
      // As a hand would: hover first, hold the button a moment, so egui sees each phase in its own frame.
      await page.mouse.move(step.click[0], step.click[1]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      await page.mouse.click(step.click[0], step.click[1], { delay: 100 });
    } else if (step.sleep) {
      await new Promise((resolve) => setTimeout(resolve, step.sleep));
    } else {
      await waitFor(step.wait, step.count || 1);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 700));
  // Downloads finish in the background: wait (10 s at most) until one is there and none is in progress.
  for (let i = 0; downloads && i < 100; i++) {
    const names = require("fs").readdirSync(downloads);
    if (names.length > 0 && !names.some((n) => n.endsWith(".crdownload"))) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (screenshot !== "-") await page.screenshot({ path: screenshot });
  // The page's address at the end: the view link it keeps there.
  lines.push(`location: ${await page.evaluate(() => location.href)}`);
  console.log(JSON.stringify(lines));
  await browser.close();
  process.exit(0);
})();
