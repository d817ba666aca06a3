// The module panel's own controls (algorithm, k, similarity, layer, probe set, recompute cadence,
// comparison, edge display) and its alert list. Settings that matter are URL rows (modules_*),
// changed through app.configure so links reproduce them; edge display is view-only.

const LABELS = {
  kmeans: 'k-means', agglomerative: 'agglomerative (Ward)', nmf: 'NMF', auto: 'auto (silhouette)', all: 'all hidden',
  coactivation: 'fire together', dependence: 'depend on same inputs (sign-free)', val: 'validation (held out)',
  train: 'training', none: 'nothing',
};
const FIELDS = [
  ['modules_method', 'Algorithm'], ['modules_k', 'k'], ['modules_similarity', 'Group neurons that'],
  ['modules_layer', 'Layer'], ['modules_split', 'Probe set'], ['modules_n', 'Samples'],
  ['modules_every', 'Recompute every (snapshots, 0 = by hand)'], ['modules_vs', 'Compare with'], ['modules_vs_k', 'its k'],
];

function select(options, labelFor) {
  const input = document.createElement('select');
  for (const value of options) input.append(Object.assign(document.createElement('option'), {value, textContent: labelFor(value)}));
  return input;
}

/** Build the controls into `host`; returns {update(settings, layerCount), setStatus(text, kind),
 *  showAlerts(alerts, onShow), onRecompute(fn), onEdges(fn)}. */
export function createModuleControls(host, app) {
  const form = Object.assign(document.createElement('div'), {className: 'gb-mod-controls'});
  const inputs = {};
  const error = Object.assign(document.createElement('div'), {className: 'field-error'});
  error.setAttribute('aria-live', 'polite');
  for (const [key, text] of FIELDS) {
    const row = app.schema.find((r) => r.key === key);
    const label = Object.assign(document.createElement('label'), {className: 'gb-mod-field'});
    const span = Object.assign(document.createElement('span'), {textContent: text});
    const input = row.type === 'enum' ? select(row.options, (v) => LABELS[v] || v)
      : Object.assign(document.createElement('input'), {type: 'number', min: row.min, max: row.max, step: 1});
    input.id = 'setting-' + key;
    input.dataset.setting = key;
    input.addEventListener('change', async () => {
      error.textContent = '';
      try {
        await app.configure({[key]: input.type === 'number' ? Number(input.value) : input.value});
      } catch (e) {
        error.textContent = String(e.message || e).replace(/^Invalid settings — \w+: /, '');
      }
    });
    label.append(span, input);
    form.append(label);
    inputs[key] = input;
  }
  const recompute = Object.assign(document.createElement('button'), {type: 'button', textContent: 'Recompute now', className: 'gb-mod-recompute'});
  const edges = select(['flow', 'weight'], (v) => (v === 'flow' ? 'edges: gradient flow' : 'edges: summed weights'));
  edges.setAttribute('aria-label', 'What edge width shows');
  const animate = Object.assign(document.createElement('input'), {type: 'checkbox', id: 'gb-mod-animate'});
  const animateLabel = Object.assign(document.createElement('label'), {className: 'gb-mod-check', htmlFor: 'gb-mod-animate'});
  animateLabel.append(animate, document.createTextNode(' animate flow'));
  form.append(recompute, edges, animateLabel);
  const status = Object.assign(document.createElement('div'), {className: 'gb-mod-status'});
  status.setAttribute('role', 'status');
  host.append(form, error, status);

  const alertsBox = Object.assign(document.createElement('div'), {className: 'gb-mod-alerts'});
  return {
    alertsBox,
    update(settings, layerCount) {
      for (const [key, input] of Object.entries(inputs)) {
        if (document.activeElement !== input) input.value = String(settings[key]);
      }
      for (const option of inputs.modules_layer.options) option.disabled = option.value !== 'all' && Number(option.value) > layerCount;
      inputs.modules_vs_k.disabled = settings.modules_vs === 'none';
    },
    setStatus(text, kind = '') { status.textContent = text; status.dataset.kind = kind; },
    onRecompute(fn) { recompute.addEventListener('click', fn); },
    onEdges(fn) {
      const changed = () => fn({edges: edges.value, animate: animate.checked});
      edges.addEventListener('change', changed);
      animate.addEventListener('change', changed);
    },
    /** alerts: engine alert dicts; onShow(moduleId) when "show" is pressed. */
    showAlerts(alerts, onShow) {
      alertsBox.replaceChildren();
      if (!alerts || !alerts.length) {
        alertsBox.append(Object.assign(document.createElement('p'), {className: 'gb-mod-ok', textContent: 'No module alerts: no dead, redundant, gradient-starved or underperforming modules.'}));
        return;
      }
      const list = document.createElement('ul');
      for (const alert of alerts) {
        const item = document.createElement('li');
        item.dataset.kind = alert.kind;
        const badge = Object.assign(document.createElement('span'), {className: 'gb-mod-badge', textContent: alert.kind});
        const message = Object.assign(document.createElement('span'), {textContent: ' ' + alert.message + ' '});
        const advice = Object.assign(document.createElement('span'), {className: 'gb-mod-advice', textContent: alert.advice});
        const show = Object.assign(document.createElement('button'), {type: 'button', className: 'link', textContent: 'show'});
        show.addEventListener('click', () => onShow(alert.modules[0]));
        item.append(badge, message, advice, show);
        list.append(item);
      }
      alertsBox.append(list);
    },
  };
}
