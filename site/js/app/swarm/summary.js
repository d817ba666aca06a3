// A plain summary of a swarm's records (py/glassbox/swarm/stream.py) for window.glassbox.swarm.state():
// what a course page or a test reads, independent of how the views keep their state.

/** A member's settings as a config: the executor's when it made the member, else from its record. */
export function configOf(id, executor) {
  return executor?.config?.(id) ?? null;
}

function configFromRecord(record) {
  const arch = record.architecture || {};
  const sizes = arch.sizes || [];
  return {hidden: sizes.slice(1, -1), activation: arch.activation, init: arch.init, ...(record.hyperparameters || {})};
}

/**
 * @param {object[]} records every record shown, in order
 * @param {(id) => object | null} configFor the live config of a member, if known
 * @returns {{header, round, totalSteps, members, events, rounds, end}} members: those in the
 *   latest round's member records (the population as it stands), each
 *   {id, parents, config, fitness, rawFitness, share, steps, allocated, metrics, resources, flags, round}
 */
export function summarise(records, configFor = () => null) {
  const header = records.find((r) => r.type === 'swarm') || null;
  const rounds = records.filter((r) => r.type === 'round').map((r) => ({round: r.round, time: r.time,
    allocation: r.allocation || {}, shares: r.shares || {}, best: r.best, diversity: r.diversity,
    totalSteps: r.total_steps, events: r.events || []}));
  const last = new Map();
  let latest = 0;
  for (const r of records) {
    if (r.type !== 'member') continue;
    last.set(r.member, r);
    latest = Math.max(latest, r.round ?? 0);
  }
  const culled = new Set();
  const events = rounds.flatMap((r) => r.events);
  for (const e of events) if (e.kind === 'culled') culled.add(e.member);
  const members = [...last.values()].filter((r) => r.round === latest && !culled.has(r.member)).map((r) => ({
    id: r.member, parents: r.parents || [], config: configFor(r.member) || configFromRecord(r),
    fitness: r.fitness, rawFitness: r.raw_fitness, share: r.share, steps: r.step, allocated: r.allocated,
    metrics: r.metrics || {}, loss: r.loss, resources: r.resources || {}, flags: r.flags || [], round: r.round,
  }));
  const lastRound = rounds[rounds.length - 1];
  return {
    header, round: lastRound ? lastRound.round : latest, totalSteps: lastRound ? lastRound.totalSteps : 0,
    members, events, rounds, end: records.find((r) => r.type === 'end') || null,
  };
}
