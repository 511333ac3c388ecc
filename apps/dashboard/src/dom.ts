/** The page's elements: every selector the scripts use must exist, or the page is broken. */
export const $ = <E extends Element = HTMLElement>(selector: string): E => {
  const el = document.querySelector<E>(selector);
  if (!el) throw new Error(`missing element ${selector}`);
  return el;
};

/** Calls `redraw` whenever `element` changes to another whole-pixel width (charts are drawn to their width). */
export function onWidthChange(element: Element, redraw: () => void): void {
  let lastWidth = 0;
  new ResizeObserver(([entry]) => {
    const width = Math.floor(entry!.contentRect.width);
    if (width !== lastWidth) {
      lastWidth = width;
      redraw();
    }
  }).observe(element);
}
