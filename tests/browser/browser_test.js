// Loads page/ (bundled by run.sh) in headless Chromium (Debian's, driven by
// playwright-core) from two origins: one that kpi-service lists in
// server.cors_allowed_origins, whose call must show ana's AHT from the
// README's worked example, and one it does not list, whose call the browser
// must refuse (CORS). Prints one line per check and "N passed, M failed".
//
// Usage: node browser_test.js GRPC_PORT LISTED_PORT UNLISTED_PORT PAGE_DIR
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const [grpcPort, listedPort, unlistedPort, pageDir] = process.argv.slice(2);
if (!pageDir) {
  console.error("usage: node browser_test.js GRPC_PORT LISTED_PORT UNLISTED_PORT PAGE_DIR");
  process.exit(2);
}
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

/** Serves the page's two files on 127.0.0.1:port. */
function serve(port) {
  const server = http.createServer((request, response) => {
    const name = new URL(request.url, "http://page").pathname.slice(1) || "index.html";
    if (!["index.html", "bundle.js"].includes(name)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": TYPES[path.extname(name)] });
    response.end(fs.readFileSync(path.join(pageDir, name)));
  });
  return new Promise((resolve) => server.listen(Number(port), "127.0.0.1", () => resolve(server)));
}

async function shownResult(browser, pagePort) {
  const page = await browser.newPage();
  const url = `http://127.0.0.1:${pagePort}/index.html?server=http://127.0.0.1:${grpcPort}`;
  await page.goto(url);
  await page.waitForSelector('#result[data-done="true"]', { timeout: 30_000 });
  const text = await page.textContent("#result");
  await page.close();
  return text;
}

async function main() {
  const servers = [await serve(listedPort), await serve(unlistedPort)];
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "kpi-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    chromiumSandbox: false,
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const checks = [
    [
      "a page of a listed origin shows ana's AHT through gRPC-Web",
      async () => {
        const text = await shownResult(browser, listedPort);
        if (text !== "aht 300 s, MET, policy 0") throw new Error(`the page shows ${JSON.stringify(text)}`);
        return text;
      },
    ],
    [
      "a page of an unlisted origin is refused by CORS",
      async () => {
        const text = await shownResult(browser, unlistedPort);
        if (!text.startsWith("error") || text.includes("aht")) {
          throw new Error(`the page shows ${JSON.stringify(text)}`);
        }
        return text;
      },
    ],
  ];
  let passed = 0;
  let failed = 0;
  for (const [name, check] of checks) {
    try {
      console.log(`PASS ${name}: ${await check()}`);
      passed += 1;
    } catch (error) {
      console.log(`FAIL ${name}: ${error.stack || error}`);
      failed += 1;
    }
  }
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
  for (const server of servers) server.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
