import { describe, expect, it } from 'vitest';
import { qrPage } from '../enrolment/enrol-pages.js';
import { enrolQrPage } from '../sso/pages/enrol-page.js';
import { totpScan } from './totp-setup.js';

const scan = { qrCode: 'data:image/png;base64,AAAA', secret: 'JBSWY3DPEHPK3PXPJBSWY3DP' };
const org = 'Acme <R&D>';

describe('the QR page of a new authenticator app', () => {
  it('shows the same scan on the invitation link and in the sign-in, escaped, key grouped in fours', () => {
    const block = totpScan(org, scan);
    expect(block).toContain('alt="QR code to add Acme &#60;R&#38;D&#62; to your authenticator app"');
    expect(block).toContain('<p data-testid="manual-key"><code>JBSW Y3DP EHPK 3PXP JBSW Y3DP</code></p>');
    expect(block).not.toContain('<R&D>');

    const link = qrPage({ org, helpdesk: 'the help desk', nonce: 'n0nce', base: '/enroll/tok' }, scan);
    const signIn = enrolQrPage(
      {
        org,
        helpdesk: 'the help desk',
        nonce: 'n0nce',
        uid: 'u1',
        clientName: 'App',
        csrf: (f) => `csrf-${f}`,
      },
      scan,
    );
    for (const page of [link, signIn]) {
      expect(page.status).toBe(200);
      expect(page.html).toContain('<title>Scan this code');
      expect(page.html).toContain('<h1>Scan this code</h1>');
      expect(page.html).toContain(block);
      expect(page.html).toContain('<label for="code">Code from the app</label>');
    }
    // Each confirms where its own flow goes on, with its own button and way out.
    expect(link.html).toContain('<form method="post" action="/enroll/tok/confirm">');
    expect(link.html).toContain('<button type="submit">Confirm</button>');
    expect(signIn.html).toContain('action="/interaction/u1/enrol-confirm">');
    expect(signIn.html).toContain('value="csrf-enrol-confirm"');
    expect(signIn.html).toContain('<button type="submit">Confirm and continue</button>');
    expect(signIn.html).toContain('action="/interaction/u1/abort"');
  });
});
