// Checks that every slide of a rendered Marp deck fits: no content taller than the slide,
// nothing wider than it, no code block shrunk to fit. Run by render.sh after the HTML is made:
//
//   node slides/layout-check.cjs slides/dist/lab.html /usr/bin/chromium
//
// Uses puppeteer-core, which marp-cli installs into slides/.marp. Exit status 1 and one line
// per slide that does not fit; the slide numbers are the page numbers of the PDF.
'use strict';
const path = require('path');
const puppeteer = require(path.join(__dirname, '.marp', 'node_modules', 'puppeteer-core'));

async function main() {
  const [html, browserPath] = process.argv.slice(2);
  if (!html || !browserPath) {
    console.error('usage: node layout-check.cjs <deck.html> <chromium>');
    process.exit(2);
  }
  // Headless Chromium now and then never runs the step Marp's code scaling waits for, for
  // the whole life of the browser: start a new browser then.
  let slides = null;
  for (let launch = 0; launch < 5 && !slides; launch++) {
    slides = await measureDeck(path.resolve(html), browserPath);
  }
  if (!slides) {
    console.error('Layout: cannot measure: Marp never laid out the code blocks in Chromium');
    process.exit(2);
  }
  const bad = slides.filter((s) => s.tooTall > 0 || s.tooWide > 0 || s.wideCode);
  for (const s of bad) {
    const why = [];
    if (s.tooTall > 0) why.push(`${s.tooTall}px too tall`);
    if (s.tooWide > 0) why.push(`${s.tooWide}px too wide`);
    if (s.wideCode) why.push(`a code block is too wide: shrunk to ${s.wideCode}% (shorten its lines)`);
    console.log(`  slide ${s.number} "${s.title}": ${why.join(', ')}`);
  }
  console.log(`Layout: ${slides.length - bad.length} of ${slides.length} slides fit`);
  process.exitCode = bad.length === 0 ? 0 : 1;
}

/** The measurements of every slide, or null if Marp's script did not settle. */
async function measureDeck(html, browserPath) {
  const browser = await puppeteer.launch({
    executablePath: browserPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const [first] = await browser.pages();
    const page = first || (await browser.newPage());
    await page.setViewport({ width: 1280, height: 720 });
    await page.goto('file://' + html, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    // Marp's script turns every `<pre is="marp-pre">` into a `<marp-pre>` that scales code
    // down to fit, and sets its svg's viewBox once it has measured the code. Measuring
    // before that gives another layout.
    try {
      await page.waitForFunction(
        () =>
          document.querySelector('pre[is="marp-pre"]') === null &&
          [...document.querySelectorAll('marp-pre')].every((pre) => {
            const scaling = pre.shadowRoot && pre.shadowRoot.querySelector('marp-auto-scaling');
            const svg = scaling && scaling.shadowRoot && scaling.shadowRoot.querySelector('svg');
            return svg && svg.hasAttribute('viewBox');
          }),
        { timeout: 5000 },
      );
    } catch {
      return null;
    }
    // Then measure until two measurements agree.
    let slides = null;
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const now = await measure(page);
      if (slides && JSON.stringify(now) === JSON.stringify(slides)) break;
      slides = now;
    }
    return slides;
  } finally {
    await browser.close();
  }
}

function measure(page) {
    return page.evaluate(() => {
      const sections = document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section');
      return [...sections].map((s, i) => {
        const style = getComputedStyle(s);
        const box = s.getBoundingClientRect();
        const top = box.top + parseFloat(style.paddingTop);
        const bottom = box.top + s.clientHeight - parseFloat(style.paddingBottom);
        const right = box.left + s.clientWidth - parseFloat(style.paddingRight) + 2;
        let first = Infinity;
        let last = -Infinity;
        let widest = -Infinity;
        for (const child of s.children) {
          if (child.tagName === 'HEADER' || child.tagName === 'FOOTER') continue;
          const r = child.getBoundingClientRect();
          first = Math.min(first, r.top);
          last = Math.max(last, r.bottom);
          widest = Math.max(widest, r.right);
        }
        // Marp shrinks a code block that is too wide (marp-pre > marp-auto-scaling > svg with
        // the natural size as its viewBox): shrunk code is hard to read from the back row.
        let shrunk = 1;
        for (const pre of s.querySelectorAll('marp-pre, pre')) {
          const scaling = pre.shadowRoot && pre.shadowRoot.querySelector('marp-auto-scaling');
          const svg = scaling && scaling.shadowRoot && scaling.shadowRoot.querySelector('svg');
          const viewBox = svg && svg.getAttribute('viewBox');
          if (!viewBox) continue;
          const natural = parseFloat(viewBox.split(/\s+/)[2]);
          const rendered = svg.getBoundingClientRect().width;
          if (natural > 0 && rendered > 0) shrunk = Math.min(shrunk, rendered / natural);
        }
        const wideCode = shrunk < 0.98 ? Math.round(shrunk * 100) : 0;
        const heading = s.querySelector('h1, h2, h3');
        return {
          number: i + 1,
          title: heading ? heading.textContent.trim() : '(no heading)',
          tooTall: Math.round(last - first - (bottom - top)),
          tooWide: Math.round(widest - right),
          wideCode,
        };
      });
    });
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
