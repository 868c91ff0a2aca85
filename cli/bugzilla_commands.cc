// autoland trigger | commenter | comment: the seed's BugzillaEventTrigger and
// BugCommenter on the command line.
#include <iostream>

#include "app/component_options.h"
#include "cli/command.h"
#include "cli/loop.h"
#include "cli/wiring.h"
#include "core/comments.h"
#include "services/commenter/commenter.h"
#include "services/trigger/trigger.h"
#include "util/log.h"

namespace autoland::cli {
namespace {}  // namespace

void register_bugzilla_commands(CLI::App& app, Invocation& inv) {
  auto trigger_args = std::make_shared<LoopArgs>();
  auto* trigger = app.add_subcommand("trigger", "Poll Bugzilla for [autoland-...] tags and queue new requests");
  add_loop_options(trigger, *trigger_args, 60);
  trigger->callback([&inv, trigger_args] {
    inv.action = [&inv, trigger_args] {
      auto w = wire(inv);
      if (!w) return fail(w.error());
      Trigger t(*(*w)->store, *(*w)->bugs, trigger_options((*w)->config));
      return run_passes(trigger_args->once, trigger_args->interval, *(*w)->store, [&] {
        auto stats = t.poll_once();
        if (!stats) {
          LOG_ERROR("trigger", stats.error().message);
          if (trigger_args->once) std::cerr << "error: " << stats.error().message << "\n";
          return false;
        }
        std::cout << "trigger: " << stats->bugs_seen << " bugs seen, " << stats->patchsets_created
                  << " patchsets queued, " << stats->refusals << " refused, " << stats->requests_already_taken
                  << " already queued, " << stats->transient_failures << " to retry" << std::endl;
        return stats->transient_failures == 0;
      });
    };
  });

  auto commenter_args = std::make_shared<LoopArgs>();
  auto* commenter = app.add_subcommand("commenter", "Post the queued comments and whiteboard edits to Bugzilla");
  add_loop_options(commenter, *commenter_args, 10);
  commenter->callback([&inv, commenter_args] {
    inv.action = [&inv, commenter_args] {
      auto w = wire(inv);
      if (!w) return fail(w.error());
      Commenter c(*(*w)->store, *(*w)->bugs, (*w)->clock, commenter_options((*w)->config));
      return run_passes(commenter_args->once, commenter_args->interval, *(*w)->store, [&] {
        auto stats = c.drain_once();
        if (!stats) {
          LOG_ERROR("commenter", stats.error().message);
          if (commenter_args->once) std::cerr << "error: " << stats.error().message << "\n";
          return false;
        }
        if (commenter_args->once) {
          std::cout << "commenter: " << stats->posted << " posted, " << stats->found_already_posted
                    << " found already posted, " << stats->marker_edits << " whiteboard edits, " << stats->deferred
                    << " deferred, " << stats->dropped << " dropped" << std::endl;
        }
        return true;
      });
    };
  });

  struct CommentArgs {
    uint64_t bug = 0;
    std::string text;
    std::string template_name;
    int64_t patchset = 0;
  };
  auto comment_args = std::make_shared<CommentArgs>();
  auto* comment = app.add_subcommand("comment", "Post one comment now and print its Bugzilla comment id");
  comment->add_option("--bug", comment_args->bug, "The bug to comment on");
  comment->add_option("--text", comment_args->text, "The comment text");
  comment->add_option("--template", comment_args->template_name,
                      "Render a bot comment instead: try_results, landed, cancelled, timed_out, ...");
  comment->add_option("--patchset", comment_args->patchset, "The patchset the template speaks of");
  comment->callback([&inv, comment_args] {
    inv.action = [&inv, comment_args] {
      const CommentArgs& a = *comment_args;
      if (a.text.empty() == a.template_name.empty()) return fail("give either --text or --template");
      auto w = wire(inv);
      if (!w) return fail(w.error());
      Store& store = *(*w)->store;
      NewComment nc;
      std::optional<PatchSetId> patchset;
      if (!a.text.empty()) {
        if (a.bug == 0) return fail("--text needs --bug");
        std::string key = "manual/" + std::to_string(a.bug) + "/" + std::to_string((*w)->clock.now()) + "/" +
                          std::to_string(std::hash<std::string>{}(a.text));
        nc = {a.bug, "manual", a.text, key};  // the commenter adds the marker line
      } else {
        auto ps = store.get_patchset(a.patchset);
        if (!ps) return fail(ps.error());
        std::optional<CommentKind> kind;
        for (CommentKind k :
             {CommentKind::try_results, CommentKind::landed, CommentKind::push_failed, CommentKind::rejected,
              CommentKind::cancelled, CommentKind::builds_cancelled, CommentKind::timed_out, CommentKind::backed_out,
              CommentKind::backout_failed, CommentKind::forced}) {
          if (to_string(k) == a.template_name) kind = k;
        }
        if (!kind) return fail("unknown template '" + a.template_name + "'");
        CommentInput in;
        in.kind = *kind;
        in.bug = ps->bug_id;
        in.patchset = ps->id;
        in.branch = ps->branch;
        in.stage = ps->stage;
        in.patches = ps->patches;
        in.revision = ps->revision();
        in.reason = ps->state_reason;
        in.backout_revision = ps->backout_revision;
        in.dedup_key = make_dedup_key(ps->id, *kind, "cli-v" + std::to_string(ps->version));
        nc = {ps->bug_id, std::string(to_string(*kind)), render_comment(in), in.dedup_key};
        patchset = ps->id;
      }
      auto added = store.enqueue_comment(nc, patchset);
      if (!added) return fail(added.error());
      if (!*added) return fail("this comment is queued already (dedup key " + nc.dedup_key + ")");
      Commenter c(store, *(*w)->bugs, (*w)->clock, commenter_options((*w)->config));
      auto id = c.deliver(**added);
      if (!id) return fail("bug " + std::to_string(nc.bug_id) + ": " + id.error().message);
      std::cout << *id << "\n";
      return kExitOk;
    };
  });
}

}  // namespace autoland::cli
