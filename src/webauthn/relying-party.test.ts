import { describe, expect, it } from 'vitest';
import { relyingPartyOf } from './relying-party.js';

describe('relyingPartyOf', () => {
  it('takes the host name of PUBLIC_URL as the RP id and its origin as the only origin', () => {
    expect(relyingPartyOf('https://id.example.org', 'Acme')).toEqual({
      id: 'id.example.org',
      name: 'Acme',
      origin: 'https://id.example.org',
      usable: true,
    });
    expect(relyingPartyOf('http://localhost:8080', 'Acme')).toMatchObject({
      id: 'localhost',
      origin: 'http://localhost:8080',
      usable: true,
    });
  });

  it('marks an IP address as unusable (browsers refuse WebAuthn there)', () => {
    expect(relyingPartyOf('http://127.0.0.1:8080', 'Acme').usable).toBe(false);
    expect(relyingPartyOf('http://[::1]:8080', 'Acme').usable).toBe(false);
  });
});
