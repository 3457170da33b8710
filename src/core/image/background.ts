/**
 * Local background removal (issue 12 item 3): gpt-image-2 has no real alpha (it refuses `background: transparent` or
 * paints an opaque background), so when transparency was asked and every delivered pixel is opaque, the background is
 * taken out here: the background colours are sampled on the border, a flood fill from the edges takes every
 * connected pixel within `tolerance` of one of them, and the pixels next to the filled area get a partial alpha by
 * their distance to the background colour against the subject's (a soft edge instead of a jagged one). Pure pixel
 * arithmetic, no codec.
 */
import type { RgbaImage } from './pixels';

export interface BackgroundOptions {
  /** Largest colour distance (max over R, G, B) that still counts as background. Default 24. */
  tolerance?: number;
}

type Rgb = readonly [number, number, number];

/** Colour distance: the largest channel difference. */
function distance(data: Uint8Array, i: number, c: Rgb): number {
  return Math.max(Math.abs((data[i] ?? 0) - c[0]), Math.abs((data[i + 1] ?? 0) - c[1]), Math.abs((data[i + 2] ?? 0) - c[2]));
}

/**
 * The border's main colours: border pixels grouped by colour (5 bits a channel), each group that holds at least 10 %
 * of the border, as its mean colour. A plain background gives one; a two-tone backdrop or a painted checkerboard two.
 */
export function borderColours(image: RgbaImage): Rgb[] {
  const { width, height, data } = image;
  const groups = new Map<number, { n: number; r: number; g: number; b: number }>();
  let total = 0;
  const add = (x: number, y: number) => {
    const i = (y * width + x) * 4;
    const r = data[i] ?? 0;
    const g = data[i + 1] ?? 0;
    const b = data[i + 2] ?? 0;
    const key = ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3);
    const group = groups.get(key) ?? { n: 0, r: 0, g: 0, b: 0 };
    group.n++;
    group.r += r;
    group.g += g;
    group.b += b;
    groups.set(key, group);
    total++;
  };
  for (let x = 0; x < width; x++) {
    add(x, 0);
    if (height > 1) add(x, height - 1);
  }
  for (let y = 1; y < height - 1; y++) {
    add(0, y);
    if (width > 1) add(width - 1, y);
  }
  return [...groups.values()]
    .filter((g) => g.n >= total * 0.1)
    .sort((a, b) => b.n - a.n)
    .slice(0, 4)
    .map((g) => [Math.round(g.r / g.n), Math.round(g.g / g.n), Math.round(g.b / g.n)] as const);
}

/** True when every pixel is fully opaque: the image has no real alpha. */
export function isFullyOpaque(image: RgbaImage): boolean {
  for (let i = 3; i < image.data.length; i += 4) if (image.data[i] !== 255) return false;
  return true;
}

/** A copy of `image` whose background (connected to the border, within the tolerance) is transparent, with a soft edge. */
export function removeBackground(image: RgbaImage, options: BackgroundOptions = {}): { image: RgbaImage; removed: number } {
  const tolerance = options.tolerance ?? 24;
  const { width, height } = image;
  const data = new Uint8Array(image.data);
  const colours = borderColours(image);
  if (colours.length === 0) return { image: { width, height, data }, removed: 0 };
  const nearest = (i: number): number => Math.min(...colours.map((c) => distance(data, i, c)));
  const background = new Uint8Array(width * height);
  const queue = new Int32Array(width * height);
  let head = 0;
  let tail = 0;
  const seed = (p: number) => {
    if (background[p] === 0 && nearest(p * 4) <= tolerance) {
      background[p] = 1;
      queue[tail++] = p;
    }
  };
  for (let x = 0; x < width; x++) {
    seed(x);
    seed((height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    seed(y * width);
    seed(y * width + width - 1);
  }
  while (head < tail) {
    const p = queue[head++] ?? 0;
    const x = p % width;
    if (x > 0) seed(p - 1);
    if (x < width - 1) seed(p + 1);
    if (p >= width) seed(p - width);
    if (p < (height - 1) * width) seed(p + width);
  }
  for (let p = 0; p < width * height; p++) if (background[p]) data[p * 4 + 3] = 0;
  // The soft edge: a pixel touching the background is a blend of the background and the subject (anti-aliasing), so
  // its alpha is its distance to the background colour against the subject's: the median distance of the pixels just
  // inside the edge.
  const neighbours = (p: number): number[] => {
    const x = p % width;
    return [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, p >= width ? p - width : -1, p < (height - 1) * width ? p + width : -1].filter((q) => q >= 0);
  };
  const edge = new Uint8Array(width * height);
  const edges: number[] = [];
  for (let p = 0; p < width * height; p++) {
    if (!background[p] && neighbours(p).some((q) => background[q])) {
      edge[p] = 1;
      edges.push(p);
    }
  }
  const inside: number[] = [];
  for (const p of edges) for (const q of neighbours(p)) if (!background[q] && !edge[q]) inside.push(nearest(q * 4));
  inside.sort((a, b) => a - b);
  const subject = Math.max(tolerance * 2, inside[Math.floor(inside.length / 2)] ?? 255);
  const floor = tolerance / 2;
  for (const p of edges) {
    const d = nearest(p * 4);
    data[p * 4 + 3] = Math.max(16, Math.min(255, Math.round((255 * (d - floor)) / (subject - floor))));
  }
  return { image: { width, height, data }, removed: tail };
}
