/**
 * Variants (issue 13 item 3): the candidates of one prompt wait in the extension's storage, not the workspace, until
 * the user picks one. This keeps that storage and what is waiting on it: a folder per run under
 * `globalStorageUri/variants/`, the run waiting for its pick (one at a time: a newer run, or the preview panel
 * closing, gives up on it, and then nothing is written to the workspace), the copy of a stored file into the
 * workspace with the rules of a normal save, and the cap on the folder (core/files/storageCap.ts).
 *
 * The history is a feature and this is not: it learns that a stored file moved into the workspace from
 * `onDidSaveToWorkspace`, and tells this which stored files its newest entries still point at (`protect`).
 */
import { EventEmitter, FileType, Uri, workspace } from 'vscode';
import type { Disposable, Event, TextDocument } from 'vscode';
import { filesOverCap, type StoredFile } from '../../core/files/storageCap';
import { FileError } from '../../core/files/fileError';
import { errorText } from '../../core/text/describe';
import type { Logger } from '../../core/types';
import type { ConfigurationService } from '../configuration';
import { SaveDismissed, saveGeneratedImage } from './saveImage';

export interface VariantRun {
  id: number;
  /** This run's folder in the extension's storage. */
  folder: Uri;
}

export interface SavedToWorkspace {
  /** The stored file (the history entry's `uri` until now). */
  stored: Uri;
  /** The new file in the workspace. */
  saved: Uri;
}

interface PendingPick {
  runId: number;
  /** The stored file picked, or undefined: nobody will pick. */
  resolve: (storedUri: string | undefined) => void;
}

const storedExtensions = new Set(['png', 'jpg', 'webp']);

export class VariantRuns implements Disposable {
  private nextRunId = 1;
  /** The folders of runs going on: never removed while their files are being written. */
  private readonly activeFolders = new Set<string>();
  private pending: PendingPick | undefined;
  private protectedFiles: () => readonly string[] = () => [];
  private readonly savedEmitter = new EventEmitter<SavedToWorkspace>();
  private readonly waitingEmitter = new EventEmitter<void>();
  /** A run started or stopped waiting for its pick (the preview enables or disables Use This One). */
  readonly onDidChangeWaiting: Event<void> = this.waitingEmitter.event;
  /** A stored variant was copied into the workspace (and its stored file removed): the history follows it. */
  readonly onDidSaveToWorkspace: Event<SavedToWorkspace> = this.savedEmitter.event;

  constructor(
    /** `globalStorageUri/variants`. */
    readonly root: Uri,
    private readonly configuration: ConfigurationService,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new run and its folder (named by time, so the folders list oldest first). */
  startRun(): VariantRun {
    const id = this.nextRunId++;
    const folder = Uri.joinPath(this.root, `${this.now().toString(36)}-${id}`);
    this.activeFolders.add(folder.toString());
    return { id, folder };
  }

  endRun(run: VariantRun): void {
    this.activeFolders.delete(run.folder.toString());
  }

  /** Which stored files must never be removed by the cap (the history's newest entries). */
  protect(files: () => readonly string[]): void {
    this.protectedFiles = files;
  }

  /**
   * From the start of run `runId` (a candidate may be picked while the others still stream): resolves with the stored
   * file the user picks (`pick`), or undefined when nobody will — a newer run starts waiting, the preview panel
   * closes (`abandonAll`), the run itself gives up (`release`), or the extension stops.
   */
  waitForPick(runId: number): Promise<string | undefined> {
    this.pending?.resolve(undefined);
    return new Promise((resolve) => {
      const pending: PendingPick = {
        runId,
        resolve: (storedUri) => {
          if (this.pending !== pending) return;
          this.pending = undefined;
          this.waitingEmitter.fire();
          resolve(storedUri);
        },
      };
      this.pending = pending;
      this.waitingEmitter.fire();
    });
  }

  /** Run `runId` waits no more (it failed, was cancelled, or is over). */
  release(runId: number): void {
    if (this.pending?.runId === runId) this.pending.resolve(undefined);
  }

  /** Whether run `runId` is waiting for its pick. */
  isWaiting(runId: number): boolean {
    return this.pending?.runId === runId;
  }

  /** The user chose the stored file `storedUri` of run `runId`: true when that run was waiting and took it. */
  pick(runId: number, storedUri: string): boolean {
    const pending = this.pending;
    if (!pending || pending.runId !== runId) return false;
    pending.resolve(storedUri);
    return true;
  }

  /** Nobody will pick any more (the preview panel closed): the waiting run writes nothing. */
  abandonAll(): void {
    this.pending?.resolve(undefined);
  }

  /**
   * Copies a stored variant into the workspace exactly where a new image for `document` would go (the same
   * destination and name rules, never overwriting), removes the stored file, and tells the history. Throws
   * `FileError` when the stored file is gone or the destination is unusable, `SaveDismissed` when a save dialog
   * (nothing open) was dismissed.
   */
  async saveToWorkspace(stored: Uri, prompt: string, document: TextDocument | undefined): Promise<Uri> {
    let bytes: Uint8Array;
    try {
      bytes = await workspace.fs.readFile(stored);
    } catch (err) {
      throw new FileError(`The stored image is gone (${stored.path}): ${errorText(err)}. Regenerate makes a new one.`, { cause: err });
    }
    const extension = stored.path.slice(stored.path.lastIndexOf('.') + 1).toLowerCase();
    if (!storedExtensions.has(extension)) throw new FileError(`Not a stored image: ${stored.path}`);
    const loaded = await this.configuration.load(document?.uri);
    const saved = await saveGeneratedImage({
      image: { bytes, extension: extension as 'png' | 'jpg' | 'webp' },
      prompt,
      ...(document ? { document } : {}),
      ...(loaded.settings.destination !== undefined ? { destinationPattern: loaded.settings.destination } : {}),
      signal: new AbortController().signal,
    });
    if (!saved) throw new SaveDismissed();
    this.log.info(`saved the stored variant ${stored.toString(true)} as ${saved.uri.toString(true)} (destination from ${saved.patternSource})`);
    for (const note of saved.notes ?? []) this.log.warn(note);
    await workspace.fs.delete(stored, { useTrash: false }).then(undefined, (err: unknown) =>
      this.log.debug(`could not remove the stored variant ${stored.toString(true)}: ${errorText(err)}`),
    );
    this.savedEmitter.fire({ stored, saved: saved.uri });
    return saved.uri;
  }

  /**
   * Keeps the stored variants within the cap (STORED_VARIANT_LIMITS): the oldest files go first, never one that the
   * history's newest entries or `alsoKeep` point at; run folders left empty are removed. Never throws (logged).
   */
  async prune(alsoKeep: readonly Uri[] = []): Promise<void> {
    try {
      const keep = new Set([...this.protectedFiles(), ...alsoKeep.map((uri) => uri.toString())]);
      const files: StoredFile[] = [];
      const folders: Uri[] = [];
      for (const [name, type] of await this.list(this.root)) {
        if ((type & FileType.Directory) === 0) continue;
        const folder = Uri.joinPath(this.root, name);
        folders.push(folder);
        for (const [fileName, fileType] of await this.list(folder)) {
          if ((fileType & FileType.File) === 0) continue;
          const uri = Uri.joinPath(folder, fileName);
          const stat = await workspace.fs.stat(uri).then(
            (s) => s,
            () => undefined,
          );
          if (stat) files.push({ key: uri.toString(), bytes: stat.size, mtimeMs: stat.mtime });
        }
      }
      const remove = filesOverCap(files, (key) => keep.has(key));
      for (const key of remove) await workspace.fs.delete(Uri.parse(key), { useTrash: false });
      if (remove.length > 0) this.log.info(`stored variants: removed the ${remove.length} oldest file(s) to stay within the cap`);
      for (const folder of folders) {
        if (this.activeFolders.has(folder.toString())) continue;
        if ((await this.list(folder)).length === 0) await workspace.fs.delete(folder, { recursive: true, useTrash: false });
      }
    } catch (err) {
      this.log.warn(`Could not keep the stored variants within their cap: ${errorText(err)}`);
    }
  }

  private async list(folder: Uri): Promise<[string, FileType][]> {
    try {
      return await workspace.fs.readDirectory(folder);
    } catch {
      return [];
    }
  }

  dispose(): void {
    this.abandonAll();
    this.savedEmitter.dispose();
    this.waitingEmitter.dispose();
  }
}
