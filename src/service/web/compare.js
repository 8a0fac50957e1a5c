// The before/after view: the turn's input ("before") under its output ("after"); the output is shown right of a
// divider that the range input (keyboard: arrows, Home, End) or a drag on the picture moves. Without a "before"
// (a text-to-image turn, or a picked image not yet edited) it shows one picture and hides the slider.
//
// The divider position is a CSS custom property (--pos, 0..100) read by style.css: setting properties through the
// CSSOM is allowed by the page's Content-Security-Policy, which forbids inline style attributes.

/**
 * @param {{
 *   box: HTMLElement, before: HTMLImageElement, after: HTMLImageElement, control: HTMLElement, range: HTMLInputElement
 * }} el
 */
export function createCompare(el) {
  const set = (/** @type {number} */ pos) => {
    const p = Math.max(0, Math.min(100, Math.round(pos)));
    el.range.value = String(p);
    el.range.setAttribute('aria-valuetext', `${100 - p}% after, ${p}% before`);
    el.box.style.setProperty('--pos', String(p));
  };
  el.range.addEventListener('input', () => set(Number(el.range.value)));

  // Drag anywhere on the picture (mouse, pen or a horizontal swipe: style.css leaves vertical panning to the page).
  let dragging = false;
  const fromPointer = (/** @type {PointerEvent} */ e) => {
    const r = el.box.getBoundingClientRect();
    if (r.width > 0) set(((e.clientX - r.left) / r.width) * 100);
  };
  el.box.addEventListener('pointerdown', (e) => {
    if (el.box.dataset.mode !== 'compare' || e.button !== 0) return;
    dragging = true;
    el.box.setPointerCapture(e.pointerId);
    fromPointer(e);
  });
  el.box.addEventListener('pointermove', (e) => dragging && fromPointer(e));
  const stop = () => (dragging = false);
  el.box.addEventListener('pointerup', stop);
  el.box.addEventListener('pointercancel', stop);
  set(Number(el.range.value));

  return {
    /**
     * Show an image, with its "before" when given.
     * @param {{
     *   after: string, afterAlt: string, before?: string | null, beforeAlt?: string, width: number, height: number
     * }} v
     */
    show(v) {
      const compare = Boolean(v.before);
      el.box.hidden = false;
      el.box.dataset.mode = compare ? 'compare' : 'single';
      el.box.style.setProperty('--ar', `${v.width} / ${v.height}`);
      // Small images (kontext-mini answers at 64 px) are scaled up with hard pixel edges rather than blurred.
      el.box.classList.toggle('pixelated', Math.max(v.width, v.height) < 256);
      if (el.after.getAttribute('src') !== v.after) el.after.src = v.after;
      el.after.alt = v.afterAlt;
      if (compare) {
        if (el.before.getAttribute('src') !== v.before) el.before.src = /** @type {string} */ (v.before);
        el.before.alt = v.beforeAlt ?? 'before';
      } else {
        el.before.removeAttribute('src');
        el.before.alt = '';
      }
      el.before.hidden = !compare;
      el.control.hidden = !compare;
      if (compare) set(50);
    },
    hide() {
      el.box.hidden = true;
      el.control.hidden = true;
    },
  };
}
