import type { Page } from 'playwright-core';

// The checks run inside the page, so they are plain JavaScript strings (no DOM types in this
// Node project).

const A11Y = `(() => {
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label'))
    .map((el) => el.outerHTML.slice(0, 120));
  const levels = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => Number(h.tagName[1]));
  const headingJumps = [];
  levels.forEach((level, i) => {
    const before = i === 0 ? 0 : levels[i - 1];
    if (level > before + 1) headingJumps.push('h' + before + ' → h' + level);
  });
  return { h1: document.querySelectorAll('h1').length, unlabelled, headingJumps };
})()`;

const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const text = (el.textContent || el.value || el.getAttribute('aria-label') || '').trim();
  return { text, visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 };
})()`;

const DRAWN_CHARTS = `[...document.querySelectorAll('canvas')].filter((c) => {
  if (c.getAttribute('data-drawn') !== 'true') return false;
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
  return false;
}).length`;

/** What the accessibility smoke check found on a page (empty lists when all is well). */
export interface A11yReport {
  h1: number;
  unlabelled: string[];
  headingJumps: string[];
}

/** Labels, one h1, headings in order: read off the rendered page. */
export function a11yReport(page: Page): Promise<A11yReport> {
  return page.evaluate(A11Y) as Promise<A11yReport>;
}

/**
 * Presses Tab until the focused element's text matches `target` (at most `max` presses);
 * returns whether it got there and whether the focus was visible there (an outline).
 */
export async function tabTo(
  page: Page,
  target: RegExp,
  max = 60,
): Promise<{ reached: boolean; visible: boolean }> {
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate(FOCUSED)) as { text: string; visible: boolean } | null;
    if (focused && target.test(focused.text)) return { reached: true, visible: focused.visible };
  }
  return { reached: false, visible: false };
}

/** How many of the page's chart canvases were drawn and hold non-blank pixels. */
export async function drawnCharts(page: Page): Promise<number> {
  await page.locator('canvas[data-drawn="true"]').first().waitFor();
  return (await page.evaluate(DRAWN_CHARTS)) as number;
}
