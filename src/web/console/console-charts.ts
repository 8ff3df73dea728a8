import { escapeHtml, html } from '../html.js';
import { CHART_JS_PATH, CONSOLE_SCRIPT_PATH } from './console-assets.js';

/** One chart: its canvas id, kind, labels and series. */
export interface ChartSpec {
  id: string;
  title: string;
  /** Read by screen readers instead of the drawing. */
  summary: string;
  type: 'bar' | 'line' | 'doughnut';
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
}

/** A chart's figure: a canvas the script draws into, captioned, with a text summary. */
export function chartFigure(spec: ChartSpec): string {
  return html`<figure><figcaption>${spec.title}</figcaption>
<canvas id="${spec.id}" width="440" height="240" role="img" aria-label="${spec.summary}"></canvas></figure>`;
}

/** The page's chart data (JSON, inert) and the scripts that draw it. */
export function chartScripts(nonce: string, specs: readonly ChartSpec[]): string {
  // `<` is escaped so no value can close the data block.
  const json = JSON.stringify(specs).replace(/</g, '\\u003c');
  const n = escapeHtml(nonce);
  return `<script type="application/json" id="console-charts" nonce="${n}">${json}</script>
<script nonce="${n}" src="${CHART_JS_PATH}"></script>
<script nonce="${n}" src="${CONSOLE_SCRIPT_PATH}"></script>`;
}

/** The console script alone (pages without charts that use its form helpers). */
export function consoleScript(nonce: string): string {
  return `<script nonce="${escapeHtml(nonce)}" src="${CONSOLE_SCRIPT_PATH}"></script>`;
}
