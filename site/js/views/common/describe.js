// A view's text alternative is the label of its role=img drawing (kept current by its update), so
// describe() reads it back rather than keeping a second copy of the sentence.
import d3 from './d3.js';

/** The aria-label of the first labelled role=img element inside `container`, else `fallback`. */
export function labelOf(container, fallback) {
  return d3.select(container).select('[role="img"][aria-label]').attr('aria-label') || fallback;
}
