// A plain summary of the swarm shown (state/swarm-state.js's state) for window.glassbox.swarm.state():
// what a course page or a test reads. Plain data only (no Maps, no shared objects).

/**
 * @param {object | null} state the views' swarm state (emptySwarm() grown by addRecords)
 * @param {(id) => object | null} configFor a member's full config when this page made it
 * @returns {{header, round, totalSteps, members, pending, events, rounds, end, notes}} members: those alive
 *   and measured at least once; pending: ids announced (created, bred) but not measured yet. Each member
 *   {id, parents, config, fitness, rawFitness, share, steps, allocated, metrics, loss, resources, flags, round}
 */
export function summarise(state, configFor = () => null) {
  if (!state) return {header: null, round: 0, totalSteps: 0, members: [], pending: [], events: [], rounds: [], end: null, notes: []};
  const copy = (v) => JSON.parse(JSON.stringify(v ?? null));
  const members = state.members.filter((m) => m.alive && m.round != null).map((m) => ({
    id: m.id, parents: m.parents.slice(), config: copy(configFor(m.id) || m.config),
    fitness: m.fitness, rawFitness: m.raw_fitness, share: m.share, steps: m.steps, allocated: m.allocated,
    metrics: copy(m.metrics), loss: copy(m.loss), resources: copy(m.resources), flags: m.flags.slice(), round: m.round,
  }));
  const rounds = state.rounds.map((r) => ({round: r.round, time: r.time, allocation: copy(r.allocation), shares: copy(r.shares),
    best: r.best, diversity: r.diversity, totalSteps: r.total_steps}));
  const last = rounds[rounds.length - 1];
  return {header: copy(state.header), round: state.round ?? 0, totalSteps: last?.totalSteps ?? 0, members,
    pending: state.members.filter((m) => m.alive && m.round == null).map((m) => m.id),
    events: copy(state.events), rounds, end: copy(state.ended), notes: state.notes.slice()};
}

/** The status line's numbers from the state: {round, members, totalSteps}. */
export function countsOf(state) {
  if (!state) return {round: 0, members: 0, totalSteps: 0};
  const last = state.rounds[state.rounds.length - 1];
  return {round: state.round ?? 0, members: state.members.filter((m) => m.alive).length, totalSteps: last?.total_steps ?? 0};
}
