'use strict';

/** XXX: kept for the old dashboard; delete with it. */
function legacy(events) {
  const msg = 'it\'s a TODO inside a single-quoted string';
  return events.map((e) => e.id).join(',') + msg; // TODO(@eve): use the new API
}

module.exports = { legacy };
