// Checks that every slide of a rendered Marp deck fits and can be read from the back of a
// room. Run by render.sh after the HTML is made:
//
//   node slides/layout-check.cjs slides/dist/lab.html /usr/bin/chromium
//
// A slide fails when
// - its content is taller or wider than the slide: every element and every run of text is
//   measured, nested ones too (an inline `code` that does not wrap can run past the edge
//   of a paragraph that fits);
// - Marp shrank a code block to fit its width;
// - code is drawn smaller than MIN_CODE_PX, or a diagram's label smaller than MIN_LABEL_PX
//   (the SVG's font size times the scale the slide shows it at);
// - any text is drawn in another font than the deck's pinned ones (slides/fonts/): then the
//   measurements above are not what every audience sees.
//
// Uses puppeteer-core, which marp-cli installs into slides/.marp. Exit status 0 when every
// slide passes, 1 and one line per slide that does not, 2 when it could not measure. The
// slide numbers are the page numbers of the PDF.
'use strict';
const fs = require('fs');
const path = require('path');
const { fileURLToPath } = require('url');
const puppeteer = require(path.join(__dirname, '.marp', 'node_modules', 'puppeteer-core'));

// Body text is 26 px on a 1280 x 720 slide; code and labels at 20 px stay legible from the
// back of a room.
const MIN_CODE_PX = 20;
const MIN_LABEL_PX = 20;
// The fonts of slides/fonts/, as Chromium names the faces it drew with.
const PINNED_FONTS = ['Liberation Sans', 'Liberation Mono'];

async function main() {
  const [html, browserPath] = process.argv.slice(2);
  if (!html || !browserPath) {
    console.error('usage: node layout-check.cjs <deck.html> <chromium>');
    process.exit(2);
  }
  // Headless Chromium now and then never runs the step Marp's code scaling waits for, for
  // the whole life of the browser: start a new browser then.
  let deck = null;
  for (let launch = 0; launch < 5 && !deck; launch++) {
    deck = await measureDeck(path.resolve(html), browserPath);
  }
  if (!deck) {
    console.error('Layout: cannot measure: Marp never laid out the code blocks in Chromium');
    process.exit(2);
  }
  const { slides, fonts } = deck;
  const bad = [];
  for (const s of slides) {
    const why = [];
    if (s.tooTall > 0) why.push(`${s.tooTall}px too tall`);
    if (s.tooWide > 0) why.push(`${s.tooWide}px too wide${s.widest ? ` (${s.widest})` : ''}`);
    if (s.wideCode) why.push(`a code block is too wide: shrunk to ${s.wideCode}% (shorten its lines)`);
    if (s.minCode !== null && s.minCode < MIN_CODE_PX - 0.05) {
      why.push(`code drawn at ${s.minCode.toFixed(1)}px (at least ${MIN_CODE_PX}px)`);
    }
    if (s.minLabel !== null && s.minLabel.size < MIN_LABEL_PX - 0.05) {
      why.push(
        `diagram ${s.minLabel.file}: label "${s.minLabel.text}" drawn at ${s.minLabel.size.toFixed(1)}px (at least ${MIN_LABEL_PX}px: show it bigger or enlarge its text)`,
      );
    }
    const unpinned = fonts.filter((f) => f.slide === s.number);
    if (unpinned.length) {
      const families = [...new Set(unpinned.flatMap((f) => f.families))].join(', ');
      const texts = unpinned.slice(0, 2).map((f) => `"${f.text}"`).join(', ');
      const more = unpinned.length > 2 ? ` and ${unpinned.length - 2} more` : '';
      why.push(`text drawn in ${families}, not the pinned fonts (${PINNED_FONTS.join(', ')} of slides/fonts/): ${texts}${more}`);
    }
    if (why.length) bad.push(s);
    if (why.length) console.log(`  slide ${s.number} "${s.title}": ${why.join('; ')}`);
  }
  const smallest = (pick) => {
    const found = slides.filter((s) => pick(s) !== null).sort((a, b) => pick(a) - pick(b))[0];
    return found ? `${pick(found).toFixed(1)} px (slide ${found.number})` : 'none on any slide';
  };
  console.log(
    `Legibility: smallest code ${smallest((s) => s.minCode)}, smallest diagram label ${smallest((s) =>
      s.minLabel ? s.minLabel.size : null,
    )}; fonts drawn: ${deck.families.join(', ')}`,
  );
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
    await measureDiagrams(page, html, slides);
    const { wrong, families } = await fontsDrawn(page);
    return { slides, fonts: wrong, families };
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
      // The page may show the slide scaled: measure in the slide's own pixels.
      const scale = box.width / s.offsetWidth || 1;
      const top = box.top + parseFloat(style.paddingTop) * scale;
      const bottom = box.top + (s.clientHeight - parseFloat(style.paddingBottom)) * scale;
      const right = box.left + (s.clientWidth - parseFloat(style.paddingRight) + 2) * scale;
      const inChrome = (node) => {
        for (let n = node; n && n !== s; n = n.parentNode) {
          if (n.tagName === 'HEADER' || n.tagName === 'FOOTER') return true;
        }
        return false;
      };
      let first = Infinity;
      for (const child of s.children) {
        if (child.tagName === 'HEADER' || child.tagName === 'FOOTER') continue;
        first = Math.min(first, child.getBoundingClientRect().top);
      }
      // Every box, nested ones too, and every run of text (a long word in a paragraph
      // overflows the paragraph without any element doing so).
      let last = -Infinity;
      let widest = -Infinity;
      let widestWhat = '';
      const consider = (r, what) => {
        if (r.width === 0 && r.height === 0) return;
        last = Math.max(last, r.bottom);
        if (r.right > widest) {
          widest = r.right;
          widestWhat = what;
        }
      };
      for (const el of s.querySelectorAll('*')) {
        if (inChrome(el)) continue;
        consider(el.getBoundingClientRect(), `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}"`);
      }
      const walker = document.createTreeWalker(s, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      for (let t = walker.nextNode(); t; t = walker.nextNode()) {
        if (!t.textContent.trim() || inChrome(t)) continue;
        range.selectNodeContents(t);
        consider(range.getBoundingClientRect(), `text "${t.textContent.trim().slice(0, 40)}"`);
      }
      // Marp shrinks a code block that is too wide (marp-pre > marp-auto-scaling > svg with
      // the natural size as its viewBox): shrunk code is hard to read from the back row.
      let shrunk = 1;
      let minCode = null;
      for (const pre of s.querySelectorAll('marp-pre, pre')) {
        let own = 1;
        const scaling = pre.shadowRoot && pre.shadowRoot.querySelector('marp-auto-scaling');
        const svg = scaling && scaling.shadowRoot && scaling.shadowRoot.querySelector('svg');
        const viewBox = svg && svg.getAttribute('viewBox');
        if (viewBox) {
          const natural = parseFloat(viewBox.split(/\s+/)[2]);
          const rendered = svg.getBoundingClientRect().width / scale;
          if (natural > 0 && rendered > 0) own = Math.min(1, rendered / natural);
        }
        shrunk = Math.min(shrunk, own);
        const code = pre.querySelector('code') || pre;
        const size = parseFloat(getComputedStyle(code).fontSize) * own;
        minCode = minCode === null ? size : Math.min(minCode, size);
      }
      for (const code of s.querySelectorAll(':not(pre) > code')) {
        if (code.closest('marp-pre, pre') || inChrome(code)) continue;
        const size = parseFloat(getComputedStyle(code).fontSize);
        minCode = minCode === null ? size : Math.min(minCode, size);
      }
      const wideCode = shrunk < 0.98 ? Math.round(shrunk * 100) : 0;
      const heading = s.querySelector('h1, h2, h3');
      const images = [...s.querySelectorAll('img')]
        .filter((img) => /\.svg$/i.test(img.getAttribute('src') || ''))
        .map((img) => ({ src: img.src, width: img.getBoundingClientRect().width / scale }));
      return {
        number: i + 1,
        title: heading ? heading.textContent.trim() : '(no heading)',
        tooTall: Math.round((last - first - (bottom - top)) / scale),
        tooWide: Math.round((widest - right) / scale),
        widest: widest > right ? widestWhat : '',
        wideCode,
        minCode: minCode === null ? null : Math.round(minCode * 10) / 10,
        images,
      };
    });
  });
}

/**
 * The smallest label of each slide's SVG diagrams, as drawn: the SVG's font size times the
 * scale the slide shows the picture at. The SVG is laid out at that width off the slide.
 */
async function measureDiagrams(page, html, slides) {
  for (const s of slides) {
    s.minLabel = null;
    for (const image of s.images) {
      const file = fileURLToPath(image.src);
      const markup = fs.readFileSync(file, 'utf8');
      const smallest = await page.evaluate(
        (markup, width) => {
          const holder = document.createElement('div');
          holder.style.cssText = `position:absolute;left:-20000px;top:0;width:${width}px`;
          holder.innerHTML = markup;
          document.body.appendChild(holder);
          const svg = holder.querySelector('svg');
          svg.setAttribute('width', width);
          svg.removeAttribute('height');
          let found = null;
          for (const t of svg.querySelectorAll('text, tspan')) {
            const own = [...t.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
            if (!own) continue;
            const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
            if (!found || size < found.size) found = { size, text: t.textContent.trim().slice(0, 40) };
          }
          holder.remove();
          return found;
        },
        markup,
        image.width,
      );
      if (smallest && (!s.minLabel || smallest.size < s.minLabel.size)) {
        s.minLabel = { ...smallest, file: path.relative(path.dirname(html), file) };
      }
    }
    delete s.images;
  }
}

/**
 * The fonts Chromium drew each slide's text with (DevTools' CSS.getPlatformFontsForNode):
 * every family it used for the text of every element, and the elements drawn, even in part,
 * in a font that is not one of the pinned web fonts.
 */
async function fontsDrawn(page) {
  await page.evaluate(() => {
    const sections = document.querySelectorAll('svg[data-marpit-svg] > foreignObject > section');
    sections.forEach((s, i) => {
      for (const el of [s, ...s.querySelectorAll('*')]) {
        if ([...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) {
          el.setAttribute('data-font-check', String(i + 1));
        }
      }
    });
  });
  const cdp = await page.createCDPSession();
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: '[data-font-check]' });
  const wrong = [];
  const families = new Set();
  for (const nodeId of nodeIds) {
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    for (const f of fonts) families.add(`${f.familyName}${f.isCustomFont ? '' : ' (system)'}`);
    const others = fonts.filter((f) => !(f.isCustomFont && PINNED_FONTS.includes(f.familyName)));
    if (others.length === 0) continue;
    const { attributes } = await cdp.send('DOM.getAttributes', { nodeId });
    const slide = Number(attributes[attributes.indexOf('data-font-check') + 1]);
    const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
    const text = outerHTML.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim().slice(0, 40);
    wrong.push({ slide, text, families: others.map((f) => `${f.familyName}${f.isCustomFont ? '' : ' (system)'}`) });
  }
  await cdp.detach();
  return { wrong, families: [...families].sort() };
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
