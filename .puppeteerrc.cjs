/** @type {import("puppeteer").Configuration} */
module.exports = { skipDownload: true, executablePath: '/usr/bin/chromium' };
