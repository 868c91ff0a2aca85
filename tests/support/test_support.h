// What tests and benchmarks share: a free port on 127.0.0.1 for a server
// they start, and a patchset walked to `testing` the way the queue does it.
#pragma once

#include <string>

#include "ports/clock.h"
#include "ports/store.h"
#include "services/transitions.h"
#include "util/ports.h"

namespace autoland::testing {

// A port nothing listens on right now (the kernel's pick, then released).
inline int free_port() { return util::unused_local_port(); }

// Creates `request` and steps it through validation and its push: it ends
// `testing` with `revision` as the revision of its stage. `changes` go with
// the `pushed` step (e.g. clear_times).
inline PatchSet testing_patchset(Store& store, const Clock& clock, const NewPatchSet& request,
                                 const std::string& revision, PatchSetChanges changes = {}) {
  auto created = store.create_patchset(request, "test");
  if (!created) return {};
  PatchSet ps = *created;
  for (Event e : {Event::start_validation, Event::validated, Event::start_push, Event::pushed}) {
    StepRequest r;
    r.event = e;
    r.actor = "queue";
    if (e == Event::pushed) {
      r.changes = changes;
      if (request.stage == Stage::try_run)
        r.changes.try_revision = revision;
      else
        r.changes.landing_revision = revision;
    }
    auto stepped = advance(store, clock, ps, r);
    if (!stepped) return {};
    ps = stepped->patchset;
  }
  return ps;
}

}  // namespace autoland::testing
