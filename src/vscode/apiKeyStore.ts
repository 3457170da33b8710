/**
 * The API key lives only in VS Code's SecretStorage (SPEC §2). The store also keeps the last value it saw in
 * memory, so the log redactor (which is synchronous) can hide it from every line.
 */
import type { Disposable, SecretStorage } from 'vscode';
import { apiKeySecretName } from './constants';

export class ApiKeyStore implements Disposable {
  private cached: string | undefined;
  private readonly subscription: Disposable;

  constructor(private readonly secrets: SecretStorage) {
    // Another window may set or clear the key; keep the cached copy current.
    this.subscription = secrets.onDidChange((e) => {
      if (e.key === apiKeySecretName) void this.get();
    });
  }

  /** The key as last read; for redaction only. */
  get lastKnown(): string | undefined {
    return this.cached;
  }

  async get(): Promise<string | undefined> {
    const value = await this.secrets.get(apiKeySecretName);
    this.cached = value === undefined || value.trim() === '' ? undefined : value.trim();
    return this.cached;
  }

  async set(key: string): Promise<void> {
    const trimmed = key.trim();
    this.cached = trimmed;
    await this.secrets.store(apiKeySecretName, trimmed);
  }

  async clear(): Promise<void> {
    await this.secrets.delete(apiKeySecretName);
    this.cached = undefined;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
