// Health panel: the runs side by side, the alerts of the shown run (each with its rule, a
// recommendation and a one-click fix that forks the run), roll-back after a divergence, the
// detectors' rules, and the measured cost of the checks. HTML for reading and keyboard use, with
// two small drawings: a strip of the network's columns coloured by their alerts, and each run's
// validation-loss trend. The SVG/PNG export draws the same content as text.
// View contract: update({run, runs, rules, cost}) (app/sources/health.js viewData()). Actions go
// to options callbacks, each returning a promise: onShowRun(id), onDrop(id),
// onFork(changes, {start, run}), onRollback({run, to}).
import d3 from '../common/d3.js';
import { columnName, fmt, pct, exporters, wrap, ALERT_COLOR, WARN_COLOR } from './health-common.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const OK_COLOR = '#15803d';
const STRIP = { box: 86, gap: 14, height: 58 };
const TREND = { width: 90, height: 22 };

export function createHealthPanel(container, options = {}) {
  let actions = { ...options };
  const call = (name, ...args) => (actions[name] ? actions[name](...args) : Promise.reject(new Error('not available here')));
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-health');
  // Text alternative (view contract): an sr-only caption, since role=img would hide the buttons inside.
  const caption = root.append('p').attr('class', 'gb-sr-only gb-describe');
  root.append('div').attr('class', 'gb-h-subtitle').text('Network columns of the shown run (✓ no alert, ⚠ warning, ✖ error)');
  const strip = root.append('svg').attr('class', 'gb-h-strip').attr('role', 'img').attr('aria-label', 'Health per layer: waiting for a snapshot.');
  const runsBox = root.append('div').attr('class', 'gb-h-runs');
  runsBox.append('div').attr('class', 'gb-h-subtitle').text('Runs (tick one to show it in the health views)');
  const table = runsBox.append('table').attr('class', 'gb-h-table');
  table.append('thead').append('tr').selectAll('th')
    .data(['show', 'run', 'step', 'val. loss', 'trend', 'val. accuracy', 'alerts', 'actions']).join('th').text((d) => d);
  const tbody = table.append('tbody');
  const divergenceBox = root.append('div').attr('class', 'gb-h-divergence').attr('role', 'alert').style('display', 'none');
  const heading = root.append('div').attr('class', 'gb-h-subtitle');
  const list = root.append('ul').attr('class', 'gb-h-alerts').attr('aria-live', 'polite');
  const empty = root.append('p').attr('class', 'gb-h-empty');
  const message = root.append('p').attr('class', 'gb-h-message').attr('aria-live', 'polite');
  const rulesBox = root.append('details').attr('class', 'gb-h-rules');
  rulesBox.append('summary').text('How alerts are decided (rules and thresholds)');
  const rulesList = rulesBox.append('ul');
  const cost = root.append('p').attr('class', 'gb-h-cost');
  let busy = false, current = {};
  // A message about a forked run ("Started fork-1 ...") is about that run: it goes when the run does.
  let messageRun = null;

  function setRules(next) {
    rulesList.selectAll('li').data(next || []).join('li').each(function (r) {
      d3.select(this).selectAll('*').remove();
      d3.select(this).append('strong').text(`${r.title}: `);
      d3.select(this).append('span').text(r.rule);
    });
  }
  let shownRules = '[]';

  async function act(label, fn) {
    if (busy) return;
    busy = true;
    messageRun = null;
    message.text(`${label}…`);
    try {
      const result = await fn();
      message.text(result || `${label}: done.`);
    } catch (error) {
      message.text(`${label} failed: ${error.message || error}`);
    } finally {
      busy = false;
    }
  }

  function renderRuns(runs, view) {
    const rows = tbody.selectAll('tr').data(runs, (r) => r.id).join((enter) => {
      const tr = enter.append('tr');
      tr.append('td').append('input').attr('type', 'radio').attr('name', 'gb-health-run')
        .on('change', (event, r) => call('onShowRun', r.id));
      for (let i = 0; i < 6; i++) tr.append('td');
      tr.select('td:nth-child(5)').append('svg').attr('class', 'gb-h-trend')
        .attr('width', TREND.width).attr('height', TREND.height).attr('aria-hidden', 'true')
        .append('title').text('validation loss over the run');
      tr.append('td').append('button').attr('type', 'button').attr('class', 'gb-h-drop').text('Remove')
        .on('click', (event, r) => act(`Removing ${r.id}`, async () => { await call('onDrop', r.id); return `Removed ${r.id}.`; }));
      return tr;
    });
    rows.attr('data-run', (r) => r.id).classed('gb-h-shown', (r) => r.id === view);
    rows.select('input').property('checked', (r) => r.id === view).attr('aria-label', (r) => `show ${r.label}`);
    rows.each(function (r) {
      const s = r.summaries[r.summaries.length - 1];
      const cells = d3.select(this).selectAll('td').nodes();
      cells[1].textContent = r.label;
      cells[2].textContent = s ? String(s.step) : '–';
      cells[3].textContent = s ? fmt(s.val_loss) : '–';
      drawTrend(d3.select(cells[4]).select('svg'), r.summaries);
      cells[5].textContent = s ? pct(s.val_accuracy) : '–';
      cells[6].textContent = r.diverged ? 'diverged' : r.alerts.length ? r.alerts.map((a) => a.title).join(', ') : 'none';
      cells[6].className = r.diverged || r.alerts.some((a) => a.severity === 'error') ? 'gb-h-bad' : r.alerts.length ? 'gb-h-warn' : 'gb-h-ok';
    });
    rows.select('.gb-h-drop').style('visibility', (r) => (r.id === 'main' ? 'hidden' : null));
  }

  /** A run's validation loss over its summaries, as a small line (last point marked). */
  function drawTrend(svg, summaries) {
    const points = summaries.filter((s) => Number.isFinite(s.val_loss)).map((s) => [s.step, s.val_loss]);
    const x = d3.scaleLinear().domain(d3.extent(points, (p) => p[0])).range([3, TREND.width - 4]);
    const y = d3.scaleLinear().domain(d3.extent(points, (p) => p[1])).range([TREND.height - 3, 3]);
    if (points.length && x.domain()[0] === x.domain()[1]) x.domain([x.domain()[0] - 1, x.domain()[0]]);
    if (points.length && y.domain()[0] === y.domain()[1]) y.domain([y.domain()[0] - 1, y.domain()[0] + 1]);
    const line = d3.line().x((p) => x(p[0])).y((p) => y(p[1]));
    svg.selectAll('path').data(points.length > 1 ? [points] : []).join('path').attr('class', 'gb-h-trend-line').attr('d', line);
    svg.selectAll('circle').data(points.slice(-1)).join('circle').attr('r', 2.5)
      .attr('cx', (p) => x(p[0])).attr('cy', (p) => y(p[1]));
  }

  /** One box per network column of the shown run (input … output), coloured by the alerts that name it. */
  function renderStrip(run) {
    const summary = run && run.summaries[run.summaries.length - 1];
    const L = summary ? summary.layers.length : 0;
    const columns = d3.range(L ? L + 1 : 0).map((c) => {
      const named = run.alerts.filter((a) => (a.columns || [a.layer]).includes(c)); // [] = the whole network
      const level = named.some((a) => a.severity === 'error') ? 'error' : named.length ? 'warn' : 'ok';
      return { column: c, name: columnName(c, L), level, titles: named.map((a) => a.title) };
    });
    const width = Math.max(1, columns.length * (STRIP.box + STRIP.gap));
    strip.attr('width', width).attr('height', columns.length ? STRIP.height : 0).attr('viewBox', `0 0 ${width} ${STRIP.height}`)
      .attr('aria-label', columns.map((c) => `${c.name}: ${c.titles.length ? c.titles.join(', ') : 'no alert'}`).join('; ') || 'Health per layer: no layers yet.');
    const color = { ok: OK_COLOR, warn: WARN_COLOR, error: ALERT_COLOR };
    const boxes = strip.selectAll('g').data(columns, (c) => c.column).join((enter) => {
      const g = enter.append('g');
      g.append('rect').attr('width', STRIP.box).attr('height', 28).attr('rx', 5);
      g.append('text').attr('class', 'gb-h-strip-mark').attr('x', STRIP.box / 2).attr('y', 19).attr('text-anchor', 'middle');
      g.append('text').attr('class', 'gb-legend-small').attr('x', STRIP.box / 2).attr('y', 46).attr('text-anchor', 'middle');
      g.append('title');
      return g;
    });
    boxes.attr('transform', (c, i) => `translate(${i * (STRIP.box + STRIP.gap) + 1},1)`).attr('data-column', (c) => c.column)
      .attr('data-level', (c) => c.level);
    boxes.select('rect').attr('fill', (c) => color[c.level]).attr('fill-opacity', (c) => (c.level === 'ok' ? 0.15 : 0.25))
      .attr('stroke', (c) => color[c.level]).attr('stroke-width', 1.5);
    boxes.select('.gb-h-strip-mark').style('fill', (c) => color[c.level]).text((c) => (c.level === 'ok' ? '✓' : c.level === 'error' ? '✖' : '⚠'));
    boxes.select('.gb-legend-small').text((c) => c.name);
    boxes.select('title').text((c) => `${c.name} (column ${c.column}): ${c.titles.length ? c.titles.join(', ') : 'no alert'}`);
  }

  function renderDivergence(run) {
    const d = run && run.divergence;
    divergenceBox.style('display', d ? null : 'none');
    if (!d) return;
    const L = (run.summaries[0]?.layers || []).length;
    divergenceBox.selectAll('*').remove();
    divergenceBox.append('p').text(`${run.label} diverged at step ${d.step}: NaN/Inf first appeared in the ${d.what} of the ` +
      `${columnName(d.layer, L)} layer (column ${d.layer}). The last finite state is step ${d.last_finite_step}.`);
    const buttons = divergenceBox.append('div').attr('class', 'gb-h-buttons');
    buttons.append('button').attr('type', 'button').attr('data-action', 'rollback-last-finite')
      .text(`Roll back to step ${d.last_finite_step} (last finite)`)
      .on('click', () => act('Rolling back', async () => { const r = await call('onRollback', {run: run.id, to: 'last_finite'});
        return `Rolled back to step ${r.step}. Lower the learning rate before training on.`; }));
    if (d.healthy_step != null) {
      buttons.append('button').attr('type', 'button').attr('data-action', 'rollback-healthy')
        .text(`Roll back to step ${d.healthy_step} (before the trouble)`)
        .on('click', () => act('Rolling back', async () => { const r = await call('onRollback', {run: run.id, to: 'healthy'});
          return `Rolled back to step ${r.step}. Lower the learning rate before training on.`; }));
    }
  }

  function renderAlerts(run) {
    const alerts = run ? run.alerts : [];
    const L = (run?.summaries[0]?.layers || []).length;
    heading.text(run ? `Alerts for ${run.label}` : 'Alerts');
    const items = list.selectAll('li').data(alerts, (a) => a.id).join((enter) => {
      const li = enter.append('li');
      const head = li.append('div').attr('class', 'gb-h-alert-head');
      head.append('span').attr('class', 'gb-h-icon').attr('aria-hidden', 'true');
      head.append('strong').attr('class', 'gb-h-title');
      head.append('span').attr('class', 'gb-h-where');
      li.append('p').attr('class', 'gb-h-text');
      li.append('p').attr('class', 'gb-h-advice');
      li.append('p').attr('class', 'gb-h-rule');
      li.append('button').attr('type', 'button').attr('class', 'gb-h-fix').on('click', (event, a) => {
        act(`Forking: ${a.fix.label}`, async () => {
          const f = await call('onFork', a.fix.changes, {start: a.fix.start, run: a.run});
          messageRun = f.run;
          return `Started ${f.run} (${a.fix.label.toLowerCase()}); both runs now train side by side — compare their curves.`;
        });
      });
      return li;
    });
    items.attr('class', (a) => `gb-h-alert gb-h-${a.severity}`).attr('data-kind', (a) => a.kind);
    items.select('.gb-h-icon').text((a) => (a.severity === 'error' ? '✖' : '⚠'))
      .style('color', (a) => (a.severity === 'error' ? ALERT_COLOR : WARN_COLOR));
    items.select('.gb-h-title').text((a) => a.title);
    items.select('.gb-h-where').text((a) => ` · ${a.columns.length ? `${columnName(a.layer, L)} (column ${a.layer})` : 'whole network'}` +
      `${a.neurons ? ` · ${a.neurons.length} neurons` : ''} · since step ${a.since}`);
    items.select('.gb-h-text').text((a) => a.message);
    items.select('.gb-h-advice').text((a) => `What to do: ${a.recommendation}`);
    items.select('.gb-h-rule').text((a) => `Rule: ${a.rule}`);
    items.select('.gb-h-fix').style('display', (a) => (a.fix ? null : 'none'))
      .text((a) => (a.fix ? `Fix in a side-by-side run: ${a.fix.label}` : ''))
      .attr('title', (a) => (a.fix ? `Fork ${a.run} ${a.fix.start === 'beginning' ? 'from step 0' : 'from now'} with the fix; the original keeps training` : null));
    const checked = run ? run.summaries.length : 0;
    empty.text(alerts.length ? '' : run && checked ? `No problems detected in ${checked} snapshots.` : 'Waiting for the first snapshot…');
  }

  function update(data = current) {
    current = data || {};
    const run = current.run || null, runs = current.runs || [];
    if (JSON.stringify(current.rules || []) !== shownRules) { shownRules = JSON.stringify(current.rules || []); setRules(current.rules); }
    renderStrip(run);
    renderRuns(runs, run ? run.id : current.viewRun);
    renderDivergence(run);
    renderAlerts(run);
    if (messageRun && !busy && !runs.some((r) => r.id === messageRun)) { messageRun = null; message.text(''); }
    caption.text(describe());
    const c = current.cost || { meanMs: null };
    cost.text(c.meanMs == null ? '' : `Health checks cost ${fmt(c.meanMs)} ms per snapshot in the engine ` +
      `(mean of the last ${c.count}; summaries, detectors and the roll-back copy).`);
  }

  /** One sentence of what the panel shows now (the text alternative). */
  function describe() {
    const run = current.run, runs = current.runs || [];
    if (!run) return 'Health: waiting for the first snapshot.';
    const alerts = run.alerts || [];
    return `Health of ${run.label}${runs.length > 1 ? ` (${runs.length} runs side by side)` : ''}: ` + (run.diverged ? 'diverged; ' : '') +
      (alerts.length ? `${alerts.length} alert${alerts.length > 1 ? 's' : ''}: ${alerts.map((a) => a.title).join(', ')}.`
        : `no problems detected in ${run.summaries.length} snapshots.`);
  }

  /** Draw the panel's text as an SVG (for export): title, runs and alerts. */
  function exportSvgElement() {
    const width = Math.max(480, container.clientWidth || 640), lines = [];
    const run = current.run;
    lines.push(['title', `Health · ${run ? run.label : ''}`]);
    for (const r of current.runs || []) {
      const s = r.summaries[r.summaries.length - 1];
      lines.push(['run', `${r.label}: step ${s ? s.step : 0}, val. loss ${s ? fmt(s.val_loss) : '–'}, ` +
        `val. accuracy ${s ? pct(s.val_accuracy) : '–'}, ${r.diverged ? 'diverged' : `${r.alerts.length} alert(s)`}`]);
    }
    for (const a of run ? run.alerts : []) {
      lines.push(['alert', `${a.severity === 'error' ? '✖' : '⚠'} ${a.title} (column ${a.layer}, since step ${a.since})`]);
      for (const line of wrap(a.message, Math.floor(width / 7.2))) lines.push(['text', line]);
      for (const line of wrap(`What to do: ${a.recommendation}`, Math.floor(width / 7.2))) lines.push(['text', line]);
    }
    if (run && !run.alerts.length) lines.push(['text', 'No problems detected.']);
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('width', width);
    svg.setAttribute('height', 16 + lines.length * 20);
    lines.forEach(([kind, text], i) => {
      const t = document.createElementNS(SVG_NS, 'text');
      t.setAttribute('x', kind === 'text' ? 24 : 8);
      t.setAttribute('y', 20 + i * 20);
      t.setAttribute('class', `gb-h-svg-${kind}`);
      t.textContent = text;
      svg.appendChild(t);
    });
    return svg;
  }

  function withExportSvg(fn) {
    const holder = root.append('div').attr('class', 'gb-h-export').node();
    holder.appendChild(exportSvgElement());
    const done = () => holder.remove();
    try {
      const result = fn(holder);
      if (result && typeof result.then === 'function') return result.finally(done);
      done();
      return result;
    } catch (error) { done(); throw error; }
  }

  return {
    update,
    describe,
    /** The action callbacks: {onShowRun, onDrop, onFork, onRollback} (any of them). */
    setOptions(next = {}) { actions = { ...actions, ...next }; update(); },
    destroy() { root.remove(); },
    exportSVG: (filename) => withExportSvg((holder) => exporters(holder, 'health').exportSVG(filename)),
    exportPNG: (filename, scale) => withExportSvg((holder) => exporters(holder, 'health').exportPNG(filename, scale)),
    get element() { return root.node(); },
  };
}
export const create = createHealthPanel;
