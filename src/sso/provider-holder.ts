import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Clock } from '../shared/clock.js';
import type { PrivateJwk, SigningKeyService } from './signing-keys.js';

/** How often an instance looks for keys another instance rotated. */
const POLL_MS = 5_000;

/**
 * The current oidc-provider. Its keystore is fixed at construction, so when the published
 * signing keys change (a rotation here or on another instance, or a retired key's publication
 * ending) a new provider is built from the database. All protocol state is in the database and
 * the cookie keys derive from the master key, so swapping the provider loses nothing.
 */
export class ProviderHolder {
  private provider: Provider | undefined;
  private handler: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | undefined;
  private version = '';
  private generation = -1;
  private nextChange: number | null = null;
  private checkedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly keys: SigningKeyService,
    private readonly clock: Clock,
    private readonly build: (keys: PrivateJwk[]) => Provider,
  ) {}

  /** The provider to use for this request (rebuilt first if the keys changed). */
  async current(): Promise<Provider> {
    if (this.stale()) await this.refresh();
    return this.provider!;
  }

  /** Its request handler (Koa's callback), built once per provider. */
  async callback(): Promise<(req: IncomingMessage, res: ServerResponse) => Promise<void>> {
    await this.current();
    return this.handler!;
  }

  private stale(): boolean {
    return (
      !this.provider ||
      this.keys.generation !== this.generation ||
      (this.nextChange !== null && this.clock.now() >= this.nextChange) ||
      Date.now() - this.checkedAt >= POLL_MS
    );
  }

  private refresh(): Promise<void> {
    // One reload at a time; concurrent requests wait for it.
    this.refreshing ??= (async () => {
      const generation = this.keys.generation;
      const keystore = await this.keys.keystore();
      if (!this.provider || keystore.version !== this.version) {
        const provider = this.build(keystore.keys);
        this.handler = provider.callback() as unknown as typeof this.handler;
        this.provider = provider;
        this.version = keystore.version;
      }
      this.generation = generation;
      this.nextChange = keystore.nextChange;
      this.checkedAt = Date.now();
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }
}
