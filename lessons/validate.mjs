// Build-time check of the lessons' blocks by the page's own code (run by lessons/render.py):
// stdin {tables, items: [{view?, settings?, condition?}]} -> stdout [null | {key, error}, ...].
// The URL schema (state/url-state.js), the element's view names (embed/attributes.js) and the task conditions
// (lessons/tasks.js) judge, so a lesson accepts exactly what the page accepts.
import {makeSchema} from '../site/js/state/url-state.js';
import {MOUNTABLE} from '../site/js/embed.js';
import {parseCondition} from '../site/js/lessons/tasks.js';
import {resolveView} from '../site/js/embed/attributes.js';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const {tables, items} = JSON.parse(input);
const schema = makeSchema(tables);

function judge(item) {
  if (item.view !== undefined) {
    // The element's own check: its short names (hidden, modules, swarm…) or any mountable view.
    const {error} = resolveView(item.view, MOUNTABLE);
    if (error) return {key: 'view', error: `${error} (or any of ${Object.keys(MOUNTABLE).join(', ')})`};
  }
  for (const [key, value] of Object.entries(item.settings || {})) {
    const {error} = schema.coerce(key, value);
    if (error) return {key, error: error.startsWith('unknown setting') ? `${error} (URL keys: ${schema.SCHEMA.map((r) => r.key).join(', ')})` : error};
  }
  if (item.condition !== undefined) {
    const {error} = parseCondition(item.condition, tables);
    if (error) return {key: 'condition', error};
  }
  return null;
}

process.stdout.write(JSON.stringify(items.map(judge)));
