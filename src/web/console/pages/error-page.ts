import { html } from '../../html.js';
import { type ConsolePage, type ConsoleView, consoleFrame } from '../console-view.js';

/** A console page that says what went wrong (403 without the role, 404, a refused request). */
export function errorPage(view: ConsoleView, status: number, title: string, message: string): ConsolePage {
  return consoleFrame(view, '', title, html`<h1>${title}</h1><p>${message}</p>`, { status });
}
