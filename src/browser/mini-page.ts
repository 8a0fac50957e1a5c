// The page `kontext page` writes (mini-page.html + this script, bundled): edit an image from words with
// kontext-mini inside the browser. The model files lie in ./model/, onnxruntime-web's in ./ort/, an example image
// in ./example.png. Each answer can become the next input ("Edit this one"): multi-turn editing, on the page.
// `globalThis.kontextPage` exposes the page's state for tests and the console.
//
// The same script is the library for your own page: imported from a page without the marker (`data-kontext-page`
// on mini-page.html's <main>), it runs nothing and offers the exports below.
//
//   import { loadMiniEditor, setWasmPaths, fromRGBA, toRGBA } from './kontext-mini.js';
//   setWasmPaths(new URL('ort/', location.href).href);
//   const editor = await loadMiniEditor('model', { proxy: true });
//   const { image } = await editor.edit({ prompt: 'make the circle blue', image: fromRGBA(imageData) });

import { UserError } from '../errors.ts';
import { clearShareRGBA, percentText, type RGBImage } from '../image/rgb.ts';
import type { MiniEditor } from '../mini/editor.ts';
import { describeMadeAs, describeUnshown } from '../session/format.ts';
import { fromRGBA, loadMiniEditor, toRGBA } from './mini.ts';
import { setWasmPaths } from './session.ts';

/** The page itself: ORT's proxy worker loads this same script (as its own), where there is no document. */
function page(): void {
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const status = $<HTMLParagraphElement>('status');
  const note = $<HTMLParagraphElement>('note');
  const error = $<HTMLParagraphElement>('error');
  const editButton = $<HTMLButtonElement>('edit');
  const download = $<HTMLAnchorElement>('download');
  const again = $<HTMLButtonElement>('again');

  const state: {
    editor: MiniEditor | null;
    input: RGBImage | null;
    output: RGBImage | null;
    busy: boolean;
    /** the warm-up edit, while it runs (see start) */
    warming: Promise<void> | null;
    /** what to say about the input itself (its transparency), shown beside the instruction's note */
    inputNote: string;
    /** the instruction that made the input (an answer edited again) and the output: "it" may name its shape */
    inputMadeBy?: string;
    outputMadeBy?: string;
    /** the input and the output in colour, where each is its world grey (an edit greyed it): edits are made on it */
    inputColor?: RGBImage;
    outputColor?: RGBImage;
  } = { editor: null, input: null, output: null, busy: false, warming: null, inputNote: '' };

  function draw(canvas: HTMLCanvasElement, img: RGBImage): void {
    canvas.width = img.width;
    canvas.height = img.height;
    const p = toRGBA(img);
    canvas.getContext('2d')!.putImageData(new ImageData(p.data, p.width, p.height), 0, 0);
  }

  /** A picture file (or the example) → RGB, upright as the browser shows it (EXIF orientation applied). */
  async function decode(blob: Blob): Promise<RGBImage> {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(blob);
    } catch {
      throw new UserError('this file is not a picture the browser can read; choose a PNG, JPEG or WebP image');
    }
    const c = document.createElement('canvas');
    c.width = bitmap.width;
    c.height = bitmap.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const pixels = ctx.getImageData(0, 0, c.width, c.height);
    // a canvas keeps no colour under a transparent pixel: alpha dropped, those parts are black to the model
    const share = clearShareRGBA(pixels.data);
    state.inputNote = share
      ? `This picture is ${percentText(share)} % transparent: the model sees its ` +
        'transparent parts as black, and the answer is opaque. Flatten it onto a background first if that is not ' +
        'what you want.'
      : '';
    return fromRGBA(pixels);
  }

  /**
   * The picture to edit; `madeBy`: the instruction that made it, when it is an answer edited again; `color`: the
   * picture in colour, where the answer is its world grey (MiniEditResult.color).
   */
  function setInput(img: RGBImage, madeBy?: string, color?: RGBImage): void {
    state.input = img;
    state.inputMadeBy = madeBy;
    state.inputColor = color;
    draw($('input'), img);
  }

  function showError(err: unknown): void {
    error.textContent = err instanceof Error ? err.message : String(err);
  }

  async function edit(): Promise<void> {
    const { editor, input } = state;
    if (!editor || !input || state.busy) return;
    const prompt = $<HTMLInputElement>('instruction').value.trim();
    error.textContent = '';
    if (!prompt) return showError('the instruction is empty; say what to change, e.g. "make the circle blue"');
    const seedText = $<HTMLInputElement>('seed').value.trim();
    const seed = seedText === '' ? undefined : Number(seedText);
    const [previous, color] = [state.inputMadeBy, state.inputColor];
    state.busy = true;
    editButton.disabled = true;
    const t0 = performance.now();
    try {
      // the note, with the shapes the picture shows (a shape named by its shape alone, or not there at all)
      const n = editor.checkPrompt(prompt, { previous, seen: await editor.shapesIn(input), color: !!color }).note;
      note.textContent = [n ? `${upper(n)}.` : '', state.inputNote].filter(Boolean).join(' ');
      if (state.warming) {
        status.textContent = 'Getting the model ready…';
        await state.warming;
      }
      const r = await editor.edit({
        prompt,
        image: input,
        seed,
        previous,
        color,
        onStep: (step, total) => {
          status.textContent = `Editing… step ${step} of ${total}`;
        },
      });
      state.output = r.image;
      state.outputMadeBy = r.edits?.join(' and ') ?? prompt; // as the model read it: a next "it" reads on
      state.outputColor = r.color;
      draw($('output'), r.image);
      download.href = $<HTMLCanvasElement>('output').toDataURL('image/png');
      download.hidden = false;
      again.hidden = false;
      const made = r.edits ? `; ${describeMadeAs({ edits: r.edits, style: r.style })}` : '';
      // an edit no try's answer showed all of, as the editor reads it: said, with what may make it
      const unshown = r.unshown ? ` ${upper(describeUnshown(r.unshown))}: another seed may make it.` : '';
      status.textContent = `Done in ${((performance.now() - t0) / 1000).toFixed(1)} s (seed ${r.seed}${made}).${unshown}`;
    } catch (err) {
      status.textContent = 'Ready.';
      showError(err);
    } finally {
      state.busy = false;
      editButton.disabled = false;
    }
  }

  async function start(): Promise<void> {
    setWasmPaths(new URL('ort/', location.href).href);
    const webgpu = new URLSearchParams(location.search).get('ep') === 'webgpu';
    // WebAssembly threads need a cross-origin-isolated page (`kontext page --serve` sends the headers)
    const threads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    const [editor, example] = await Promise.all([
      // WebAssembly in ORT's worker (proxy): the page keeps drawing the progress and answering during an edit
      loadMiniEditor('model', { executionProvider: webgpu ? 'webgpu' : 'wasm', threads, proxy: !webgpu }),
      fetch('example.png').then((r) => r.blob()),
    ]);
    state.editor = editor;
    setInput(await decode(example));
    const where = webgpu ? 'WebGPU' : `WebAssembly, ${threads} thread${threads > 1 ? 's' : ''}`;
    status.textContent = `Ready: kontext-mini (${editor.resolution} px) on ${where}. Type an instruction and press Edit.`;
    editButton.disabled = false;
    // Warm-up: the first run of each graph is slow in WebAssembly (its sessions made, its kernels prepared: about
    // 5 s of a first edit here). One throwaway 1-step edit of the example does that while the user picks a picture
    // and types; an edit asked for meanwhile waits for it. Its answer is not shown, and a failure is left to the real
    // edit to report.
    state.warming = editor
      .edit({ prompt: 'make the circle blue', image: state.input!, seed: 0, numInferenceSteps: 1 })
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        state.warming = null;
      });
  }

  $<HTMLFormElement>('form').addEventListener('submit', (e) => {
    e.preventDefault();
    void edit();
  });
  /** A picked, dropped or pasted file becomes the input. */
  async function useFile(file: Blob | null | undefined): Promise<void> {
    if (!file) return;
    error.textContent = '';
    try {
      setInput(await decode(file));
      note.textContent = state.inputNote;
    } catch (err) {
      showError(err);
    }
  }
  $<HTMLInputElement>('file').addEventListener('change', (e) => useFile((e.target as HTMLInputElement).files?.[0]));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    void useFile(e.dataTransfer?.files[0]);
  });
  document.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
    if (item) void useFile(item.getAsFile());
  });
  again.addEventListener('click', () => {
    if (state.output) setInput(state.output, state.outputMadeBy, state.outputColor);
  });

  const ready = start().catch((err) => {
    status.textContent = 'The model could not be loaded.';
    showError(err);
    throw err;
  });
  (globalThis as Record<string, unknown>).kontextPage = { state, ready };
}

export { fromRGBA, loadMiniEditor, toRGBA } from './mini.ts';
export { setWasmPaths } from './session.ts';

// the page's own document only: not in ORT's proxy worker (no document), nor in a page that imports the library
if (typeof document !== 'undefined' && document.querySelector('[data-kontext-page]')) page();

/** A sentence's first letter in capitals. */
function upper(text: string): string {
  return `${text[0]!.toUpperCase()}${text.slice(1)}`;
}
