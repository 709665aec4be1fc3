/**
 * A canvas to draw a digit on (or to show a test image). A drawing is turned into an MNIST-like
 * 28×28 input the way the dataset was made: the ink's bounding box is scaled to fit 20×20 and the
 * centre of mass is moved to the centre of the 28×28 frame.
 */
const SIZE = 280;
const OUT = 28;
const FIT = 20;

export class DrawPad {
  readonly canvas: HTMLCanvasElement;
  #ctx: CanvasRenderingContext2D;
  #drawing = false;
  #last: [number, number] | null = null;
  /** strokes were drawn since the last clear (false while a test image is shown) */
  #hasInk = false;
  /** called when the user finishes a stroke */
  onStroke: (() => void) | null = null;
  /** called when the user starts drawing over a shown test image */
  onStartDrawing: (() => void) | null = null;
  #showingImage = false;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    canvas.width = SIZE; canvas.height = SIZE;
    this.#ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    for (const ev of ['pointerup', 'pointercancel', 'pointerleave'] as const) canvas.addEventListener(ev, () => this.#up());
  }

  get hasInk(): boolean { return this.#hasInk; }

  clear(): void {
    this.#ctx.fillStyle = '#000';
    this.#ctx.fillRect(0, 0, SIZE, SIZE);
    this.#hasInk = false;
    this.#showingImage = false;
  }

  /** Show a 28×28 image (a test digit), magnified without smoothing. */
  showImage(pixels: ArrayLike<number>, w = OUT, h = OUT): void {
    const small = document.createElement('canvas');
    small.width = w; small.height = h;
    const sctx = small.getContext('2d')!;
    const img = sctx.createImageData(w, h);
    for (let i = 0; i < w * h; i++) {
      const v = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
      img.data.set([v, v, v, 255], 4 * i);
    }
    sctx.putImageData(img, 0, 0);
    this.#ctx.imageSmoothingEnabled = false;
    this.#ctx.drawImage(small, 0, 0, SIZE, SIZE);
    this.#hasInk = false;
    this.#showingImage = true;
  }

  /** Draw a stroke through points given in 28×28 pixel coordinates (tests and demos). */
  stroke(points: [number, number][]): void {
    if (this.#showingImage) this.clear();
    const s = SIZE / OUT;
    this.#line(points.map(([x, y]) => [x * s, y * s] as [number, number]));
    this.#hasInk = true;
    this.onStroke?.();
  }

  #pos(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIZE, ((e.clientY - r.top) / r.height) * SIZE];
  }

  #down(e: PointerEvent): void {
    if (this.#showingImage) { this.clear(); this.onStartDrawing?.(); }
    this.#drawing = true;
    this.canvas.setPointerCapture?.(e.pointerId);
    this.#last = this.#pos(e);
    this.#line([this.#last, this.#last]);
    this.#hasInk = true;
  }

  #move(e: PointerEvent): void {
    if (!this.#drawing || !this.#last) return;
    const p = this.#pos(e);
    this.#line([this.#last, p]);
    this.#last = p;
  }

  #up(): void {
    if (!this.#drawing) return;
    this.#drawing = false;
    this.#last = null;
    this.onStroke?.();
  }

  #line(points: [number, number][]): void {
    const c = this.#ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = 22;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    points.forEach(([x, y], i) => (i === 0 ? c.moveTo(x, y) : c.lineTo(x, y)));
    c.stroke();
  }

  /** The drawing as a 28×28 float image in [0, 1], MNIST-style (null when nothing is drawn). */
  toMnist(): Float32Array | null {
    if (!this.#hasInk) return null;
    const src = this.#ctx.getImageData(0, 0, SIZE, SIZE).data;
    let x0 = SIZE, y0 = SIZE, x1 = -1, y1 = -1;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        if (src[4 * (y * SIZE + x)]! > 20) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const scale = FIT / Math.max(bw, bh);
    const tw = Math.max(1, bw * scale), th = Math.max(1, bh * scale);
    // first pass: centre the box, then shift so the centre of mass sits at the centre
    const place = (dx: number, dy: number): Float32Array => {
      const out = document.createElement('canvas');
      out.width = OUT; out.height = OUT;
      const o = out.getContext('2d', { willReadFrequently: true })!;
      o.fillStyle = '#000';
      o.fillRect(0, 0, OUT, OUT);
      o.imageSmoothingEnabled = true;
      o.imageSmoothingQuality = 'high';
      o.drawImage(this.canvas, x0, y0, bw, bh, (OUT - tw) / 2 + dx, (OUT - th) / 2 + dy, tw, th);
      const d = o.getImageData(0, 0, OUT, OUT).data;
      const px = new Float32Array(OUT * OUT);
      for (let i = 0; i < OUT * OUT; i++) px[i] = d[4 * i]! / 255;
      return px;
    };
    const first = place(0, 0);
    let m = 0, mx = 0, my = 0;
    for (let y = 0; y < OUT; y++) for (let x = 0; x < OUT; x++) { const v = first[y * OUT + x]!; m += v; mx += v * (x + 0.5); my += v * (y + 0.5); }
    if (m === 0) return first;
    return place(Math.round(OUT / 2 - mx / m), Math.round(OUT / 2 - my / m));
  }
}
