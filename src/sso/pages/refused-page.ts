import { html, raw } from '../../web/html.js';
import { cancelForm, framed, humanDate, type PageContext, type RenderedPage } from './page-parts.js';

/** After the grace period, without any factor: what happened, what to do, whom to contact. */
export function refusedPage(pc: PageContext, opts: { deadline: number }): RenderedPage {
  const body = html`<h1>Two-step verification is required</h1>
<p class="error" role="alert">You cannot sign in yet: your account has no second factor, and the period to set one up ended on ${humanDate(opts.deadline)}.</p>
<h2>What to do</h2>
<ol>
<li>Contact ${pc.helpdesk} and ask for a <strong>Temporary Access Pass</strong>.</li>
<li>Come back to ${pc.clientName}, sign in with your password, and enter the pass when asked.</li>
<li>Set up an authenticator app; from then on you sign in with it.</li>
</ol>
${raw(cancelForm(pc, 'Return to the application'))}`;
  return framed(pc, 'Two-step verification is required', body, 403);
}
