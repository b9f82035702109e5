// events.watch: the agent's event stream, one line per event, until Ctrl-C
// (or duration=/count= for scripts).
#include <google/protobuf/util/time_util.h>

#include "hvagent/cli/command_helpers.h"
#include "hvagent/cli/commands.h"
#include "hvagent/cli/interrupt_watcher.h"
#include "hvagent/v1/events.grpc.pb.h"

namespace hvagent::cli {
namespace {

// "seq time KIND object k=v …", the payload's fields flattened.
std::string EventText(const v1::Event& event) {
  const nlohmann::ordered_json json = ToJson(event);
  std::string kind = v1::EventKind_Name(event.kind());
  if (kind.starts_with("EVENT_KIND_")) kind = kind.substr(11);
  std::string line = fmt::format("{} {} {} {}", event.sequence(),
                                 google::protobuf::util::TimeUtil::ToString(event.time()), kind,
                                 event.object_name().empty() ? "-" : event.object_name());
  for (const char* payload : {"vm_lifecycle", "migration", "port", "bond_member", "backend",
                              "network", "resync_required", "controller_vm"}) {
    const nlohmann::ordered_json* fields = JsonAt(json, payload);
    if (fields == nullptr || !fields->is_object()) continue;
    for (const auto& [key, value] : fields->items()) {
      if (value.is_object()) {
        for (const auto& [sub, v] : value.items()) {
          if (!v.is_object()) line += fmt::format(" {}.{}={}", key, sub, ScalarText(v));
        }
      } else {
        line += fmt::format(" {}={}", key, ScalarText(value));
      }
    }
  }
  return line;
}

int Watch(Invocation& inv) {
  const ParsedCommand& a = inv.args();
  v1::WatchRequest request;
  for (const int kind : a.EnumList("kinds")) request.add_kinds(static_cast<v1::EventKind>(kind));
  request.set_object_name(a.String("object"));
  request.set_resume_token(a.String("resume_token"));
  StatusOr<std::shared_ptr<grpc::Channel>> channel = inv.channel();
  if (!channel.ok()) return inv.UsageError(MessageOf(channel.status()));

  v1::EventService::Stub stub(*channel);
  grpc::ClientContext context;  // no deadline: a watch lasts until stopped
  std::optional<std::chrono::milliseconds> limit;
  if (a.Has("duration")) limit = std::chrono::seconds(a.Int("duration"));
  const InterruptWatcher watcher([&context] { context.TryCancel(); }, limit);
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader = stub.Watch(&context, request);
  const int64_t count = a.Int("count");
  int64_t seen = 0;
  bool enough = false;
  v1::Event event;
  while (reader->Read(&event)) {
    inv.out().Line(event, EventText(event));
    if (count > 0 && ++seen >= count) {
      enough = true;
      context.TryCancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  // Stopped by the user, the duration or the count: that is how a watch ends.
  if (enough || watcher.interrupted() || watcher.expired()) return kExitOk;
  if (!status.ok()) return inv.Fail(status);
  return kExitOk;
}

}  // namespace

void AddEventCommands(CommandTable& table) {
  table.Add(
      {.name = "events.watch",
       .summary = "Stream the agent's events until Ctrl-C",
       .keys = {KeySpec::EnumList("kinds", "only these kinds (default all)",
                                  {{"kVmLifecycle", v1::EVENT_KIND_VM_LIFECYCLE},
                                   {"kMigration", v1::EVENT_KIND_MIGRATION},
                                   {"kPort", v1::EVENT_KIND_PORT},
                                   {"kBondMember", v1::EVENT_KIND_BOND_MEMBER},
                                   {"kBackend", v1::EVENT_KIND_BACKEND},
                                   {"kNetwork", v1::EVENT_KIND_NETWORK},
                                   {"kControllerVm", v1::EVENT_KIND_CONTROLLER_VM},
                                   {"kServiceChain", v1::EVENT_KIND_SERVICE_CHAIN}}),
                KeySpec::String("object", "only events about this object (VM, network, port…)"),
                KeySpec::String("resume_token", "continue after the event with this resume_token"),
                KeySpec::Int("duration", "stop after this many seconds", 1, 31536000),
                KeySpec::Int("count", "stop after this many events", 1, 1000000000)},
       .details = "Text: one line per event: SEQUENCE TIME KIND OBJECT key=value…\n"
                  "-o json: one JSON object per line (JSON Lines), each with its resume_token.",
       .run = Watch});
}

}  // namespace hvagent::cli
