// Glassbox for course pages: one script tag, then any number of <glassbox-view> elements.
//
//   <script type="module" src="https://your-site.example/glassbox/js/glassbox-embed.js"></script>
//   <glassbox-view view="morph" dataset="mnist" hidden="64"></glassbox-view>
//   <glassbox-view view="curves" controls></glassbox-view>
//
// The elements of a page share ONE engine (one worker): the first one's settings start it.
// What each attribute does, the events and the sharing rule: site/js/embed/element.js;
// README "Embedding Glassbox in a course page".
import {GlassboxViewElement} from './embed/element.js';

if (!customElements.get('glassbox-view')) customElements.define('glassbox-view', GlassboxViewElement);

export {GlassboxViewElement};
export {mountView, startEngine, MOUNTABLE} from './embed.js';
