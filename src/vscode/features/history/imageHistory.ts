/**
 * The image history of this workspace (SPEC §7): every generated image with its prompt, settings and date, kept in
 * `workspaceState` so it survives a restart. It records each finished run of the generation pipeline, and tells its
 * views when it changes — also when an image file is deleted or comes back outside the extension, since the views
 * show which entries have lost their file.
 */
import { EventEmitter, FileType, Uri, workspace } from 'vscode';
import type { Disposable, Event, Memento } from 'vscode';
import type { Logger } from '../../../core/types';
import { historyStateKey } from '../../constants';
import type { GenerationOutput, GenerationPipeline } from '../../generation/pipeline';
import { addHistoryEntry, maxHistoryEntries, newHistoryId, parseHistory } from './historyEntries';
import type { HistoryEntry } from './historyEntries';

export class ImageHistory implements Disposable {
  private entries: HistoryEntry[];
  /** Generation number (this session) → entry id, so the preview can show the entry a run produced. */
  private readonly byGeneration = new Map<number, string>();
  private readonly changeEmitter = new EventEmitter<void>();
  private readonly disposables: Disposable[] = [];
  private saving: Promise<void> = Promise.resolve();
  private changeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Fires when entries are added or removed, and when one of their files is deleted or created. */
  readonly onDidChange: Event<void> = this.changeEmitter.event;

  constructor(
    private readonly state: Memento,
    pipeline: GenerationPipeline,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = parseHistory(state.get<unknown>(historyStateKey));
    this.disposables.push(
      pipeline.onDidFinish(({ generation, result }) => {
        if (result) this.byGeneration.set(generation.id, this.record(result).id);
      }),
    );
    // Image files deleted, restored or re-created outside the extension change what the views show.
    const watcher = workspace.createFileSystemWatcher('**/*.{png,jpg,jpeg,webp,PNG,JPG,JPEG,WEBP}', false, true, false);
    const onFile = (uri: Uri) => {
      const key = uri.toString();
      if (this.entries.some((e) => e.uri === key)) this.changedSoon();
    };
    this.disposables.push(watcher, watcher.onDidDelete(onFile), watcher.onDidCreate(onFile));
  }

  list(): readonly HistoryEntry[] {
    return this.entries;
  }

  get(id: string): HistoryEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /** The entry the run `generationId` of this session produced. */
  entryForGeneration(generationId: number): HistoryEntry | undefined {
    const id = this.byGeneration.get(generationId);
    return id === undefined ? undefined : this.get(id);
  }

  /** Adds the image of a finished run (synchronously in memory; written to workspaceState in the background). */
  record(result: GenerationOutput): HistoryEntry {
    const createdAt = this.now();
    const entry: HistoryEntry = {
      id: newHistoryId(createdAt),
      prompt: result.prompt,
      ...(result.image.revisedPrompt ? { revisedPrompt: result.image.revisedPrompt } : {}),
      uri: result.uri.toString(),
      ...(result.documentUri ? { documentUri: result.documentUri.toString() } : {}),
      settings: { ...result.settings },
      createdAt,
      elapsedMs: result.elapsedMs,
      ...(result.image.size ? { size: result.image.size } : {}),
      bytes: result.image.bytes.length,
      mime: result.image.mime,
      ...(result.image.usage ? { usage: result.image.usage } : {}),
      ...(result.image.quota ? { quota: result.image.quota } : {}),
    };
    this.entries = addHistoryEntry(this.entries, entry, maxHistoryEntries);
    this.persist();
    return entry;
  }

  remove(id: string): void {
    const kept = this.entries.filter((e) => e.id !== id);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.persist();
  }

  clear(): void {
    this.entries = [];
    this.byGeneration.clear();
    this.persist();
  }

  /** Whether the entry's image file is still there (a deleted file keeps its entry: Regenerate still works). */
  async exists(entry: HistoryEntry): Promise<boolean> {
    try {
      const stat = await workspace.fs.stat(Uri.parse(entry.uri));
      return (stat.type & FileType.File) !== 0;
    } catch {
      return false;
    }
  }

  private persist(): void {
    const snapshot = this.entries;
    this.changeEmitter.fire();
    // Writes are chained so an older snapshot never lands after a newer one.
    this.saving = this.saving
      .then(() => this.state.update(historyStateKey, snapshot))
      .then(undefined, (err: unknown) => this.log.warn(`Could not save the image history: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** File events come in bursts (a folder deleted at once): one change for the lot. */
  private changedSoon(): void {
    if (this.changeTimer !== undefined) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      this.changeEmitter.fire();
    }, 100);
  }

  dispose(): void {
    if (this.changeTimer !== undefined) clearTimeout(this.changeTimer);
    for (const d of this.disposables) d.dispose();
    this.changeEmitter.dispose();
  }
}
