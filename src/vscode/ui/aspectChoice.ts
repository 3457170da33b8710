/**
 * The prompt box's aspect choice (issue 12): Auto (the `cpaImage.size` setting) or one of the usual aspects, each a
 * size the image models accept (core/image/fit.ts `sizeForAspect`: the shorter side 1024). The last choice is
 * remembered across windows (globalState), so a writer who illustrates in 16:9 is not asked again each time.
 */
import type { Memento } from 'vscode';
import { parseAspect, sizeForAspect } from '../../core/image/fit';

/** Auto first, then square, landscape and portrait pairs. */
export const ASPECTS = ['auto', '1:1', '3:2', '2:3', '16:9', '9:16', '4:3', '3:4'] as const;
export type Aspect = (typeof ASPECTS)[number];

const STATE_KEY = 'cpaImage.aspect';

/** `1536x1024` for `3:2`; undefined for `auto` (the setting decides). */
export function sizeOfAspect(aspect: Aspect): string | undefined {
  if (aspect === 'auto') return undefined;
  const ratio = parseAspect(aspect);
  const size = ratio ? sizeForAspect(ratio) : undefined;
  return size ? `${size.width}x${size.height}` : undefined;
}

export class AspectMemory {
  constructor(private readonly state: Memento) {}

  get current(): Aspect {
    const stored = this.state.get<unknown>(STATE_KEY);
    return ASPECTS.find((a) => a === stored) ?? 'auto';
  }

  async choose(aspect: Aspect): Promise<void> {
    await this.state.update(STATE_KEY, aspect);
  }

  /** The size to send for the current choice, or undefined to use `cpaImage.size`. */
  requestSize(): string | undefined {
    return sizeOfAspect(this.current);
  }
}
