import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { AppError } from '../shared/errors.js';
import type { Store } from '../store/open-store.js';
import { encryptionKeysRepo } from '../store/repos/encryption-keys.js';
import { open, seal, sealedKeyId } from './envelope.js';
import { newId, secureRandomBytes } from './random.js';

const PURPOSE = 'data';

/** The id of a master key: a fingerprint, so rows can say which master wraps them. */
export function masterKeyId(master: Buffer): string {
  return createHash('sha256').update(master).digest('hex').slice(0, 16);
}

/**
 * Envelope encryption: every stored secret is sealed with a data key (AES-256-GCM); data keys
 * are sealed with the master key, which never touches the database. Data keys are cached
 * unwrapped; a ciphertext naming a key id this instance has not seen (another instance or
 * `keys rotate` made it) makes it fetch that one key by id, so rotation needs no restart anywhere.
 * Until then an instance keeps sealing under its old current key: safe, because data keys are
 * never deleted (only marked retired) and every reader looks keys up by the id a value names.
 */
export class Keyring {
  private readonly masters = new Map<string, Buffer>();
  private readonly dataKeys = new Map<string, Buffer>();
  private readonly macKeys = new Map<string, Buffer>();
  private currentKid: string | undefined;

  constructor(
    private readonly store: Store,
    master: Buffer,
    previousMasters: Buffer[] = [],
  ) {
    this.masterKid = masterKeyId(master);
    this.masters.set(this.masterKid, master);
    for (const m of previousMasters) this.masters.set(masterKeyId(m), m);
  }

  /** Fingerprint of the current master key. */
  readonly masterKid: string;

  /** Loads the data keys, creating the first one on an empty database. */
  async load(now: number): Promise<void> {
    await this.reload();
    if (!this.currentKid) {
      await this.store.transaction(async (trx) => {
        const existing = await encryptionKeysRepo.list(trx, PURPOSE);
        if (existing.length === 0) await this.insertNewKey(trx, now);
      });
      await this.reload();
    }
  }

  private async insertNewKey(trx: Parameters<typeof encryptionKeysRepo.insertCurrent>[0], now: number) {
    const id = `dek-${newId().slice(0, 12)}`;
    const key = secureRandomBytes(32);
    const wrapped = seal(this.master(), this.masterKid, key, `dek:${id}`);
    await encryptionKeysRepo.insertCurrent(trx, {
      id,
      purpose: PURPOSE,
      wrapped,
      master_kid: this.masterKid,
      created_at: now,
    });
    return id;
  }

  private master(): Buffer {
    return this.masters.get(this.masterKid)!;
  }

  /** Loads every data key; the current key changes only once all of them opened. */
  private async reload(): Promise<void> {
    const rows = await encryptionKeysRepo.list(this.store.db, PURPOSE);
    const keys = rows.map((row) => [row, this.unwrap(row)] as const);
    let current: string | undefined;
    for (const [row, key] of keys) {
      this.dataKeys.set(row.id, key);
      if (row.is_current === 1 && !current) current = row.id;
    }
    this.currentKid = current;
  }

  /** Seals a secret with the current data key; `aad` binds it to its row and purpose. */
  encrypt(plaintext: Buffer, aad: string): string {
    if (!this.currentKid) throw new AppError('INTERNAL', 'keyring not loaded');
    return seal(this.dataKeys.get(this.currentKid)!, this.currentKid, plaintext, aad);
  }

  /** Opens a sealed secret, fetching the data key it names if this instance has not seen it. */
  async decrypt(sealed: string, aad: string): Promise<Buffer> {
    const kid = sealedKeyId(sealed);
    const key = this.dataKeys.get(kid) ?? (await this.fetchKey(kid));
    return open(key, sealed, aad);
  }

  /**
   * Loads one data key by id (made elsewhere since this ring loaded) and, when it is the current
   * one, starts sealing with it. Reads on `store.reader`: committed data only, and on SQLite a
   * connection that never waits for a write transaction (a caller may hold one).
   */
  private async fetchKey(kid: string): Promise<Buffer> {
    const row = await encryptionKeysRepo.byId(this.store.reader, kid);
    if (!row || row.purpose !== PURPOSE) throw new AppError('INTERNAL', `unknown data key ${kid}`);
    const key = this.unwrap(row);
    this.dataKeys.set(row.id, key);
    if (row.is_current === 1) this.currentKid = row.id;
    return key;
  }

  /** Opens a data key row with the master key that wraps it. */
  private unwrap(row: { id: string; wrapped: string; master_kid: string }): Buffer {
    const master = this.masters.get(row.master_kid);
    if (!master) {
      throw new AppError(
        'CONFIG_INVALID',
        `data key ${row.id} is wrapped by master key ${row.master_kid}, which is not configured (PORTCULLIS_MASTER_KEY / PORTCULLIS_PREVIOUS_MASTER_KEYS)`,
      );
    }
    try {
      return open(master, row.wrapped, `dek:${row.id}`);
    } catch {
      throw new AppError('CONFIG_INVALID', `data key ${row.id} does not open with the configured master key`);
    }
  }

  /** Synchronous open for callers that already hold the key (after load); throws on an unknown key. */
  decryptSync(sealed: string, aad: string): Buffer | undefined {
    const key = this.dataKeys.get(sealedKeyId(sealed));
    return key ? open(key, sealed, aad) : undefined;
  }

  /** The current data key's id. */
  get currentKeyId(): string | undefined {
    return this.currentKid;
  }

  /**
   * Makes a new data key current and re-wraps every data key under the current master key.
   * Returns the new key id; re-sealing the secrets themselves is the caller's (keys service).
   */
  async rotate(now: number): Promise<string> {
    const id = await this.store.transaction(async (trx) => {
      const newKid = await this.insertNewKey(trx, now);
      for (const row of await encryptionKeysRepo.list(trx, PURPOSE)) {
        if (row.id === newKid || row.master_kid === this.masterKid) continue;
        const key = this.dataKeys.get(row.id);
        if (!key) continue;
        await encryptionKeysRepo.rewrap(
          trx,
          row.id,
          seal(this.master(), this.masterKid, key, `dek:${row.id}`),
          this.masterKid,
        );
      }
      return newKid;
    });
    await this.reload();
    return id;
  }

  /** A MAC key for one purpose, derived from the master key (HKDF-SHA256). */
  macKey(purpose: string, masterKid = this.masterKid): Buffer {
    const cacheKey = `${masterKid}:${purpose}`;
    let key = this.macKeys.get(cacheKey);
    if (!key) {
      const master = this.masters.get(masterKid);
      if (!master) throw new AppError('CONFIG_INVALID', `master key ${masterKid} is not configured`);
      // Derived once per (master, purpose): HKDF on every audit append showed in profiles.
      key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `portcullis:${purpose}`, 32));
      this.macKeys.set(cacheKey, key);
    }
    return key;
  }

  /** HMAC-SHA256 of `data` under the purpose's derived key, base64url. */
  mac(purpose: string, data: string, masterKid = this.masterKid): string {
    return createHmac('sha256', this.macKey(purpose, masterKid)).update(data).digest('base64url');
  }
}
