import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const KEY = Buffer.alloc(32, 1).toString('base64');

describe('loadConfig', () => {
  it('fills the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:8080',
      databaseUrl: 'sqlite:./data/portcullis.db',
      smtpUrl: undefined,
      production: false,
    });
  });

  it('derives PUBLIC_URL from PORT and strips a trailing slash from an explicit one', () => {
    expect(loadConfig({ PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ PUBLIC_URL: 'https://sso.example.org/' }).publicUrl).toBe('https://sso.example.org');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['PORTCULLIS_MASTER_KEY', Buffer.alloc(16).toString('base64')],
    ['PUBLIC_URL', 'ftp://example.org'],
    ['SMTP_URL', 'http://mail'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrowError(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => loadConfig({ [name]: value })).toThrowError(new RegExp(name));
  });

  it('production refuses to start without a master key, and starts with one', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrowError(/PORTCULLIS_MASTER_KEY/);
    expect(loadConfig({ NODE_ENV: 'production', PORTCULLIS_MASTER_KEY: KEY }).masterKey?.length).toBe(32);
  });
});
