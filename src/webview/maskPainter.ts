/**
 * The mask painter of Edit Region… (issue 14 item 3), inside the preview webview. The image is shown as it is, with
 * a canvas of the image's own pixel size over it at reduced opacity, on which the user paints the area to change:
 * brush with a size, eraser, clear, undo (the last `maxUndo` strokes; older ones are baked in), Cancel and Next.
 * Pointer events, so a mouse, a pen and a finger all paint; Escape cancels, Ctrl+Z (Cmd+Z) undoes.
 *
 * Next turns the painting into the mask the image API expects: a PNG of the image's size whose painted pixels are
 * fully transparent (alpha 0) and the rest opaque. The image itself is never drawn on a canvas (it stays an <img>),
 * so the canvas is never tainted and its pixels can be read. All text goes through textContent and attributes.
 */

/** Strokes that Undo can take back; older ones are baked into the painting. */
export const maxUndo = 50;

export interface PainterLabels {
  title: string;
  hint: string;
  brush: string;
  eraser: string;
  size: string;
  undo: string;
  clear: string;
  cancel: string;
  next: string;
  paintFirst: string;
}

export interface PainterOptions {
  src: string;
  alt: string;
  labels: PainterLabels;
  /** Next, with the mask PNG's bytes in base64. */
  onNext: (maskBase64: string) => void;
  /** Cancel or Escape: the painter is gone. */
  onClose: () => void;
}

interface Stroke {
  erase: boolean;
  /** In image pixels. */
  size: number;
  points: { x: number; y: number }[];
}

/** The colour strokes are painted in; only its alpha matters to the mask. */
const paintColour = 'rgb(255, 40, 40)';

export class MaskPainter {
  readonly root: HTMLElement;
  private readonly image: HTMLImageElement;
  private readonly canvas: HTMLCanvasElement;
  /** The strokes that fell out of the undo history, painted once. */
  private readonly baked: HTMLCanvasElement;
  private readonly strokes: Stroke[] = [];
  private drawing: Stroke | undefined;
  private erase = false;
  private painted = false;
  private readonly sizeInput: HTMLInputElement;
  private readonly brushButton: HTMLButtonElement;
  private readonly eraserButton: HTMLButtonElement;
  private readonly undoButton: HTMLButtonElement;
  private readonly nextButton: HTMLButtonElement;
  private readonly note: HTMLElement;
  private readonly onKey = (event: KeyboardEvent) => this.key(event);

  constructor(private readonly options: PainterOptions) {
    const { labels } = options;
    this.image = make('img', { className: 'mask-image', testid: 'mask-image', attrs: { src: options.src, alt: options.alt, draggable: 'false' } });
    this.canvas = make('canvas', { className: 'mask-canvas', testid: 'mask-canvas' });
    this.baked = document.createElement('canvas');
    this.sizeInput = make('input', { testid: 'mask-size', attrs: { type: 'range', min: '4', max: '256', step: '1', value: '40', 'aria-label': labels.size, title: labels.size } });
    this.brushButton = tool(labels.brush, 'mask-brush', () => this.setErase(false));
    this.eraserButton = tool(labels.eraser, 'mask-eraser', () => this.setErase(true));
    this.undoButton = tool(labels.undo, 'mask-undo', () => this.undo());
    this.nextButton = tool(labels.next, 'mask-next', () => this.next());
    this.nextButton.className = '';
    this.note = make('p', { className: 'mask-note', testid: 'mask-note', text: labels.paintFirst });
    this.root = make('div', { className: 'mask-painter', testid: 'mask-painter', attrs: { 'data-painted': 'false' } }, [
      make('h2', { text: labels.title, testid: 'current-state' }),
      make('p', { className: 'caption', text: labels.hint }),
      make('div', { className: 'actions mask-tools' }, [
        this.brushButton,
        this.eraserButton,
        make('label', { className: 'mask-size-label', text: labels.size }, [this.sizeInput]),
        this.undoButton,
        tool(labels.clear, 'mask-clear', () => this.clear()),
      ]),
      make('div', { className: 'mask-stage', testid: 'mask-stage' }, [this.image, this.canvas]),
      this.note,
      make('div', { className: 'actions' }, [this.nextButton, tool(labels.cancel, 'mask-cancel', () => this.close())]),
    ]);
    this.image.addEventListener('load', () => this.sized());
    if (this.image.complete && this.image.naturalWidth > 0) this.sized();
    this.canvas.addEventListener('pointerdown', (event) => this.down(event));
    this.canvas.addEventListener('pointermove', (event) => this.move(event));
    this.canvas.addEventListener('pointerup', (event) => this.up(event));
    this.canvas.addEventListener('pointercancel', (event) => this.up(event));
    document.addEventListener('keydown', this.onKey);
    this.setErase(false);
    this.update();
  }

  /** The canvas takes the image's own pixel size once the image is loaded; the CSS scales both alike. */
  private sized(): void {
    const width = this.image.naturalWidth;
    const height = this.image.naturalHeight;
    if (width === 0 || height === 0 || (this.canvas.width === width && this.canvas.height === height && this.root.dataset['sized'] === 'true')) return;
    for (const canvas of [this.canvas, this.baked]) {
      canvas.width = width;
      canvas.height = height;
    }
    // A brush about a twentieth of the image to start with.
    this.sizeInput.value = String(Math.max(4, Math.min(256, Math.round(Math.max(width, height) / 20))));
    this.root.dataset['sized'] = 'true';
    this.root.dataset['width'] = String(width);
    this.root.dataset['height'] = String(height);
    this.redraw();
  }

  private point(event: PointerEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / Math.max(1, box.width),
      y: ((event.clientY - box.top) * this.canvas.height) / Math.max(1, box.height),
    };
  }

  private down(event: PointerEvent): void {
    if (event.button !== 0 || this.canvas.width === 0) return;
    event.preventDefault();
    this.canvas.setPointerCapture(event.pointerId);
    this.drawing = { erase: this.erase, size: Number(this.sizeInput.value), points: [this.point(event)] };
    this.redraw();
  }

  private move(event: PointerEvent): void {
    if (!this.drawing) return;
    // Pens and touch deliver more points than one event carries.
    const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const e of events.length > 0 ? events : [event]) this.drawing.points.push(this.point(e));
    this.redraw();
  }

  private up(event: PointerEvent): void {
    const stroke = this.drawing;
    if (!stroke) return;
    this.drawing = undefined;
    if (this.canvas.hasPointerCapture(event.pointerId)) this.canvas.releasePointerCapture(event.pointerId);
    this.strokes.push(stroke);
    if (this.strokes.length > maxUndo) {
      const oldest = this.strokes.shift() as Stroke;
      drawStroke(context(this.baked), oldest);
    }
    this.redraw();
    this.update();
  }

  private undo(): void {
    if (this.strokes.length === 0) return;
    this.strokes.pop();
    this.redraw();
    this.update();
  }

  private clear(): void {
    this.strokes.length = 0;
    context(this.baked).clearRect(0, 0, this.baked.width, this.baked.height);
    this.redraw();
    this.update();
  }

  private setErase(erase: boolean): void {
    this.erase = erase;
    this.brushButton.setAttribute('aria-pressed', String(!erase));
    this.eraserButton.setAttribute('aria-pressed', String(erase));
  }

  private redraw(): void {
    const ctx = context(this.canvas);
    ctx.globalCompositeOperation = 'source-over';
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (this.baked.width > 0) ctx.drawImage(this.baked, 0, 0);
    for (const stroke of this.strokes) drawStroke(ctx, stroke);
    if (this.drawing) drawStroke(ctx, this.drawing);
  }

  /** Whether any pixel is painted, and the buttons that depend on it. */
  private update(): void {
    const { width, height } = this.canvas;
    this.painted = false;
    if (width > 0 && height > 0) {
      const data = context(this.canvas).getImageData(0, 0, width, height).data;
      for (let i = 3; i < data.length; i += 4) {
        if (data[i] !== 0) {
          this.painted = true;
          break;
        }
      }
    }
    this.root.dataset['painted'] = String(this.painted);
    this.root.dataset['strokes'] = String(this.strokes.length);
    this.nextButton.disabled = !this.painted;
    this.undoButton.disabled = this.strokes.length === 0;
    this.note.hidden = this.painted;
  }

  /** The mask: opaque everywhere, fully transparent where painted (the image API's convention). */
  private next(): void {
    if (!this.painted) return;
    const mask = document.createElement('canvas');
    mask.width = this.canvas.width;
    mask.height = this.canvas.height;
    const ctx = context(mask);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, mask.width, mask.height);
    ctx.globalCompositeOperation = 'destination-out';
    ctx.drawImage(this.canvas, 0, 0);
    const dataUrl = mask.toDataURL('image/png');
    this.dispose();
    this.options.onNext(dataUrl.slice(dataUrl.indexOf(',') + 1));
  }

  private key(event: KeyboardEvent): void {
    if (event.key === 'Escape') {
      event.preventDefault();
      this.close();
    } else if ((event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      this.undo();
    }
  }

  private close(): void {
    this.dispose();
    this.options.onClose();
  }

  private dispose(): void {
    document.removeEventListener('keydown', this.onKey);
  }
}

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas');
  return ctx;
}

/** A stroke as round dabs joined by a round line: a click alone paints a dot. */
function drawStroke(ctx: CanvasRenderingContext2D, stroke: Stroke): void {
  const first = stroke.points[0];
  if (!first) return;
  ctx.save();
  ctx.globalCompositeOperation = stroke.erase ? 'destination-out' : 'source-over';
  ctx.strokeStyle = paintColour;
  ctx.fillStyle = paintColour;
  ctx.lineWidth = stroke.size;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.arc(first.x, first.y, stroke.size / 2, 0, Math.PI * 2);
  ctx.fill();
  if (stroke.points.length > 1) {
    ctx.beginPath();
    ctx.moveTo(first.x, first.y);
    for (const p of stroke.points.slice(1)) ctx.lineTo(p.x, p.y);
    ctx.stroke();
  }
  ctx.restore();
}

interface MakeOptions {
  className?: string;
  testid?: string;
  text?: string;
  attrs?: Record<string, string>;
}

function make<K extends keyof HTMLElementTagNameMap>(tag: K, options: MakeOptions = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.testid) node.setAttribute('data-testid', options.testid);
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function tool(text: string, testid: string, onClick: () => void): HTMLButtonElement {
  const node = make('button', { className: 'secondary', testid, text });
  node.type = 'button';
  node.addEventListener('click', (event) => {
    event.stopPropagation();
    if (!node.disabled) onClick();
  });
  return node;
}
