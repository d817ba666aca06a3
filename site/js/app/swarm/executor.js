// The in-page swarm executor: runs a population over the pool's engine workers (app/swarm/pool.js).
// The population algorithm (who trains how long, exploit/explore, breeding, culling) is the
// engine's controller, kept on pool worker 0; this file only carries out what it says:
//
//   swarm_start -> records + actions; then each round:
//     swarm_plan -> {round, allocation: {member: steps}}
//     member_train on each member's worker: all workers in parallel, one worker's members in turn
//     swarm_report {results} -> {records, actions, done}: records go out (onRecords), the actions
//     are carried out in order (create, copy, breed, drop), then the next round (after the last
//     round they are not: nothing would train the members they make)
//   until done, stop() or pause() (between rounds; resume() goes on).
//
// Member states (base64 strings) are fetched only when an action or select needs one; the last
// one fetched is kept per member, so a member whose worker crashed comes back from it (or, when
// there is none, from its config -- the event log says which).

const CONTROLLER = 0;

/**
 * @param {{pool, onRecords: (records) => void, onStatus: (status) => void, onLog: (line) => void}} deps
 *   onStatus gets {status, round, workers, stepsPerSecond, roundMs, error}; onLog one line of text.
 */
export function createExecutor({pool, onRecords = () => {}, onStatus = () => {}, onLog = () => {}}) {
  const placement = new Map();   // member -> pool worker
  const configs = new Map();     // member -> its config (from the action that made it)
  const states = new Map();      // member -> {state, round}: the last state fetched, if any
  let status = 'idle', error = null, round = 0, stepsPerSecond = null, roundMs = null;
  let wantPause = false, wantStop = false, resumeGate = null, loopDone = Promise.resolve();
  let inRound = false;           // a round (plan, training, report, actions) is in progress
  let changes = [];              // swarm_configure calls waiting for the round to end
  let changing = Promise.resolve();
  let hostArgs = {};             // swarm_start's 'host' answer: every worker's swarm_host arguments

  function tell(next, extra = {}) {
    if (next) status = next;
    if ('error' in extra) error = extra.error;
    onStatus({status, round, stepsPerSecond, roundMs, error, workers: pool.describe()});
  }

  const ctrl = (op, args = {}) => pool.request(CONTROLLER, op, args);
  function workerOf(member) {
    const worker = placement.get(member);
    if (!worker) throw new Error(`swarm member ${member} is not on any worker`);
    return worker;
  }
  function place(member, worker) {
    placement.get(member)?.members.delete(member);
    placement.set(member, worker);
    worker.members.add(member);
  }
  function forget(member) {
    placement.get(member)?.members.delete(member);
    placement.delete(member);
    configs.delete(member);
    states.delete(member);
  }

  /** One member op on the member's worker; a crashed worker is restarted and the op tried again once. */
  async function onMember(member, op, args) {
    const worker = workerOf(member);
    try {
      return await pool.request(worker.index, op, {member, ...args});
    } catch (err) {
      if (!isCrash(err)) throw err;
      await recover(worker, err);
      return pool.request(workerOf(member).index, op, {member, ...args});
    }
  }
  const isCrash = (err) => err && (err.kind === 'Fatal' || err.kind === 'Restarted');

  async function stateOf(member) {
    const {state} = await onMember(member, 'member_state', {});
    states.set(member, {state, round});
    return state;
  }

  async function execute(action) {
    const {kind, member, config} = action;
    if (kind === 'create') {
      const worker = placement.get(member) || pool.leastLoaded();
      await pool.request(worker.index, 'member_create', {member, config});
      place(member, worker);
      configs.set(member, config);
    } else if (kind === 'copy') {
      const state = await stateOf(action.from);
      const worker = placement.get(member) || placement.get(action.from) || pool.leastLoaded();
      await pool.request(worker.index, 'member_load', {member, state, config});
      place(member, worker);
      configs.set(member, config);
      states.delete(member);  // its own state now differs from `from`'s (new hyperparameters)
    } else if (kind === 'breed') {
      const parents = [];
      for (const parent of action.parents) parents.push(await stateOf(parent));
      const worker = placement.get(member) || pool.leastLoaded();
      await pool.request(worker.index, 'member_breed', {member, config, parents, seed: action.seed});
      place(member, worker);
      configs.set(member, config);
      states.delete(member);
    } else if (kind === 'drop') {
      const worker = placement.get(member);
      if (worker?.alive) await pool.request(worker.index, 'member_drop', {member});
      forget(member);
    } else {
      throw new Error(`the swarm controller sent an unknown action "${kind}"`);
    }
  }

  async function executeAll(actions = []) {
    for (const action of actions) await execute(action);  // in order: each completes first
  }

  /** A worker died: start a fresh one and bring its members back (from a state if we have one). */
  function recover(worker, err) {
    if (worker.recovering) return worker.recovering;
    worker.recovering = (async () => {
      const members = [...placement.entries()].filter(([, w]) => w === worker).map(([m]) => m);
      if (worker.index === CONTROLLER) {
        throw new Error(`${worker.name} crashed (${err.message}); it held the swarm's controller, so this swarm cannot go on. Start a new one.`);
      }
      onLog(`${worker.name} crashed (${err.message}); restarting it and recreating ${members.length} member(s)`);
      await pool.restart(worker);
      await pool.request(worker.index, 'swarm_host', hostArgs);
      for (const member of members) {
        const saved = states.get(member), config = configs.get(member);
        if (saved) {
          await pool.request(worker.index, 'member_load', {member, state: saved.state, config});
          onLog(`${member} recreated on ${worker.name} from its state of round ${saved.round}`);
        } else {
          await pool.request(worker.index, 'member_create', {member, config});
          onLog(`${member} recreated on ${worker.name} from its config (no saved state: its training so far is lost)`);
        }
        place(member, worker);
      }
      tell();
    })().finally(() => { worker.recovering = null; });
    return worker.recovering;
  }

  async function trainRound() {
    const plan = await ctrl('swarm_plan');
    round = plan.round;
    const byWorker = new Map();
    for (const [member, steps] of Object.entries(plan.allocation || {})) {
      if (!steps) continue;
      const worker = workerOf(member);
      if (!byWorker.has(worker)) byWorker.set(worker, []);
      byWorker.get(worker).push([member, steps]);
    }
    const started = performance.now();
    const results = {};
    await Promise.all([...byWorker.values()].map(async (list) => {
      for (const [member, steps] of list) results[member] = await onMember(member, 'member_train', {steps});
    }));
    const trainedMs = performance.now() - started;
    const total = Object.values(plan.allocation || {}).reduce((a, b) => a + b, 0);
    stepsPerSecond = trainedMs > 0 ? (1000 * total) / trainedMs : null;
    const report = await ctrl('swarm_report', {results});
    onRecords(report.records || []);
    if (!report.done) await executeAll(report.actions);  // as run_swarm: the last round's actions have no next round
    roundMs = performance.now() - started;
    return report;
  }

  async function finish(reason) {
    const answer = await ctrl('swarm_stop', {reason});
    onRecords(answer.records || []);
  }

  async function loop() {
    try {
      for (;;) {
        if (wantStop) { await finish('stopped'); tell('stopped'); return; }
        if (wantPause) {
          tell('paused');
          await new Promise((resolve) => { resumeGate = resolve; });
          resumeGate = null;
          continue;
        }
        await changing;
        tell('running');
        inRound = true;
        let report;
        try { report = await trainRound(); } finally { inRound = false; }
        await applyChanges();
        if (report.done) {
          if (!(report.records || []).some((r) => r.type === 'end')) await finish('done');
          tell('done');
          return;
        }
      }
    } catch (err) {
      const message = String(err?.message || err);
      try { await ctrl('swarm_stop', {reason: 'error'}).then((a) => onRecords(a.records || [])); } catch { /* the controller is gone */ }
      tell('error', {error: message});
    }
  }

  /** swarm_configure and the actions it answers (a resized population), between rounds only. */
  async function reconfigure(args) {
    const answer = await ctrl('swarm_configure', args);
    await executeAll(answer.actions);
    return answer;
  }
  async function applyChanges() {
    const waiting = changes;
    changes = [];
    for (const {args, resolve, reject} of waiting) await reconfigure(args).then(resolve, reject);
  }

  async function dropAll() {
    const members = [...placement.keys()];
    await Promise.all(members.map((m) => (placement.get(m).alive ? pool.request(placement.get(m).index, 'member_drop', {member: m}) : null)
      .catch(() => {})));
    members.forEach(forget);
  }

  const executor = {
    /** Start a swarm (stopping any other first); resolves once its first members exist. */
    async start(args) {
      await executor.stop();
      wantPause = wantStop = false;
      round = 0; stepsPerSecond = roundMs = null;
      tell('starting', {error: null});
      const startup = (async () => {
        await pool.start();
        await dropAll();
        const answer = await ctrl('swarm_start', {...args, executor: 'page'});
        // Every worker's member host measures and summarises as the controller says (data split, layers).
        hostArgs = answer.host || {};
        await Promise.all(pool.workers.map((w) => pool.request(w.index, 'swarm_host', hostArgs)));
        onRecords(answer.records || []);
        await executeAll(answer.actions);
      })();
      loopDone = startup.then(loop, (err) => tell('error', {error: String(err?.message || err)}));
      await startup;
    },
    pause() { if (status === 'running' || status === 'starting') wantPause = true; tell(); },
    resume() {
      wantPause = false;
      if (resumeGate) resumeGate();
      tell();
    },
    /** Stop after the round in progress; resolves when the 'end' record is out. */
    async stop() {
      if (!['running', 'paused', 'starting'].includes(status)) return;
      wantStop = true;
      if (resumeGate) resumeGate();
      await loopDone;
    },
    /** Change goals, options or size mid-run (controller op 'swarm_configure'); applied between
     *  rounds, so a resize's create/drop actions never meet a round in progress. */
    configure(args) {
      if (!['running', 'paused'].includes(status)) return Promise.reject(new Error('no swarm is running on this page'));
      if (inRound) return new Promise((resolve, reject) => changes.push({args, resolve, reject}));
      const applied = changing.then(() => reconfigure(args));
      changing = applied.catch(() => {});
      return applied;
    },
    /** The member's current state and config, fetched from its worker, and the swarm's data
     *  seed (for adopt: the main run then splits the data as the swarm did). */
    async member(member) {
      if (!placement.has(member)) throw new Error(`no swarm member "${member}" is alive in this page's swarm`);
      return {state: await stateOf(member), config: configs.get(member), dataSeed: hostArgs.data_seed ?? 0};
    },
    /** Resolves when the loop ends (done, stopped or error). */
    get finished() { return loopDone; },
    get status() { return status; },
    has: (member) => placement.has(member),
    config: (member) => configs.get(member) ?? null,
    recover,
  };
  return executor;
}
