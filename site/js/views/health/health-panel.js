// Health panel: the runs side by side, the alerts of the shown run (each with its rule, a
// recommendation and a one-click fix that forks the run), roll-back after a divergence, the
// detectors' rules, and the measured cost of the checks. HTML for reading and keyboard use; the
// SVG/PNG export draws the same content as text.
import d3 from '../common/d3.js';
import { columnName, fmt, pct, exporters, wrap, ALERT_COLOR, WARN_COLOR } from './health-common.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

export function createHealthPanel(container, { health, app, rules = [] }) {
  const root = d3.select(container).append('div').attr('class', 'gb-view gb-health');
  const runsBox = root.append('div').attr('class', 'gb-h-runs');
  runsBox.append('div').attr('class', 'gb-h-subtitle').text('Runs (tick one to show it in the health views)');
  const table = runsBox.append('table').attr('class', 'gb-h-table');
  table.append('thead').append('tr').selectAll('th')
    .data(['show', 'run', 'step', 'val. loss', 'val. accuracy', 'alerts', '']).join('th').text((d) => d);
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
  let busy = false;

  function setRules(next) {
    rulesList.selectAll('li').data(next || []).join('li').each(function (r) {
      d3.select(this).selectAll('*').remove();
      d3.select(this).append('strong').text(`${r.title}: `);
      d3.select(this).append('span').text(r.rule);
    });
  }
  setRules(rules);

  async function act(label, fn) {
    if (busy) return;
    busy = true;
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

  function renderRuns(view) {
    const rows = tbody.selectAll('tr').data(health.list(), (r) => r.id).join((enter) => {
      const tr = enter.append('tr');
      tr.append('td').append('input').attr('type', 'radio').attr('name', 'gb-health-run')
        .on('change', (event, r) => health.setViewRun(r.id));
      for (let i = 0; i < 5; i++) tr.append('td');
      tr.append('td').append('button').attr('type', 'button').attr('class', 'gb-h-drop').text('Remove')
        .on('click', (event, r) => act(`Removing ${r.id}`, async () => { await health.drop(r.id); return `Removed ${r.id}.`; }));
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
      cells[4].textContent = s ? pct(s.val_accuracy) : '–';
      cells[5].textContent = r.diverged ? 'diverged' : r.alerts.length ? r.alerts.map((a) => a.title).join(', ') : 'none';
      cells[5].className = r.diverged || r.alerts.some((a) => a.severity === 'error') ? 'gb-h-bad' : r.alerts.length ? 'gb-h-warn' : 'gb-h-ok';
    });
    rows.select('.gb-h-drop').style('visibility', (r) => (r.id === 'main' ? 'hidden' : null));
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
      .on('click', () => act('Rolling back', async () => { const r = await health.rollback({run: run.id, to: 'last_finite'});
        return `Rolled back to step ${r.step}. Lower the learning rate before training on.`; }));
    if (d.healthy_step != null) {
      buttons.append('button').attr('type', 'button').attr('data-action', 'rollback-healthy')
        .text(`Roll back to step ${d.healthy_step} (before the trouble)`)
        .on('click', () => act('Rolling back', async () => { const r = await health.rollback({run: run.id, to: 'healthy'});
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
          const f = await health.fork(a.fix.changes, {start: a.fix.start, run: a.run});
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

  function update() {
    const view = health.viewRun, run = health.get(view);
    renderRuns(view);
    renderDivergence(run);
    renderAlerts(run);
    const c = health.cost();
    cost.text(c.meanMs == null ? '' : `Health checks cost ${fmt(c.meanMs)} ms per snapshot in the engine ` +
      `(mean of the last ${c.count}; summaries, detectors and the roll-back copy).`);
  }

  /** Draw the panel's text as an SVG (for export): title, runs and alerts. */
  function exportSvgElement() {
    const width = Math.max(480, container.clientWidth || 640), lines = [];
    const run = health.get(health.viewRun);
    lines.push(['title', `Health · ${run ? run.label : ''}`]);
    for (const r of health.list()) {
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
    update, setRules,
    exportSVG: (filename) => withExportSvg((holder) => exporters(holder, 'health').exportSVG(filename)),
    exportPNG: (filename, scale) => withExportSvg((holder) => exporters(holder, 'health').exportPNG(filename, scale)),
    get element() { return root.node(); },
  };
}
