#include "hvagent/api/request_replay.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <nlohmann/json.hpp>

#include "hvagent/common/unix_clock.h"
#include "spdlog/spdlog.h"

namespace hvagent::api {

namespace {

std::map<std::string, std::string> ParseGenerated(const std::string& json) {
  std::map<std::string, std::string> values;
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return values;
  for (const auto& [name, value] : parsed.items()) {
    if (value.is_string()) values.emplace(name, value.get<std::string>());
  }
  return values;
}

// The method's own name: "DeleteVm" of "/hvagent.v1.VmService/DeleteVm".
std::string_view MethodName(std::string_view method) {
  const size_t slash = method.rfind('/');
  return slash == std::string_view::npos ? method : method.substr(slash + 1);
}

// A refusal changed nothing, by the API's contract: its intent is forgotten.
// So are a lost optimistic-concurrency race (ABORTED) and a wait that ran out
// (DEADLINE_EXCEEDED: a Shutdown the guest ignored), final answers whose retry
// should ask again, not be finished by the agent on its own. Anything else (a
// backend lost midway, an internal error) may have acted in part: its intent
// stays pending, to be resumed.
bool Forgotten(const Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kOutOfRange: return true;
    default: return false;
  }
}

}  // namespace

StatusOr<std::string> Intent::Generate(const std::string& name,
                                       const std::function<std::string()>& make) {
  if (const auto it = generated_.find(name); it != generated_.end()) return it->second;
  std::string value = make();
  if (log_ != nullptr) {
    nlohmann::json all = nlohmann::json::object();
    for (const auto& [n, v] : generated_) all[n] = v;
    all[name] = value;
    if (Status saved = log_->SetGenerated(request_id_, all.dump()); !saved.ok()) {
      return absl::UnavailableError(fmt::format(
          "request_id '{}': the generated {} cannot be recorded, so nothing was changed: {}",
          request_id_, name, MessageOf(saved)));
    }
  }
  generated_.emplace(name, value);
  return value;
}

std::string RequestReplay::Fingerprint(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  uint64_t hash = 14695981039346656037ULL;
  for (const unsigned char c : bytes) {
    hash = (hash ^ c) * 1099511628211ULL;
  }
  return fmt::format("{:016x}", hash);
}

Status RequestReplay::Run(const std::string& method, const std::string& request_id,
                          const google::protobuf::Message& request,
                          google::protobuf::Message* response, const Act& act) {
  if (request_id.empty()) {
    Intent none;
    return act(none);
  }
  {
    std::unique_lock lock(mu_);
    released_.wait(lock, [&] { return !in_flight_.contains(request_id); });
    in_flight_.insert(request_id);
  }
  struct Release {
    RequestReplay* self;
    const std::string& id;
    ~Release() {
      {
        std::lock_guard lock(self->mu_);
        self->in_flight_.erase(id);
      }
      self->released_.notify_all();
    }
  } release{this, request_id};
  const std::string fingerprint = Fingerprint(request);
  HVAGENT_ASSIGN_OR_RETURN(auto kept, log_.Find(request_id));
  if (kept.has_value() && (kept->method != method || kept->fingerprint != fingerprint)) {
    return absl::InvalidArgumentError(
        fmt::format("request_id: '{}' was already used for a different request ({}); use a new id",
                    request_id, kept->method));
  }
  if (kept.has_value() && !kept->pending) {
    if (!response->ParseFromString(kept->response)) {
      return absl::InternalError(
          fmt::format("request_id '{}': the kept response cannot be read", request_id));
    }
    spdlog::debug("{}: replaying the result of request_id '{}'", method, request_id);
    return Status(static_cast<absl::StatusCode>(kept->status_code), kept->status_message);
  }
  const bool resuming = kept.has_value();
  if (!resuming) {
    store::RequestRecord intent{.request_id = request_id,
                                .method = method,
                                .fingerprint = fingerprint,
                                .created_unix_ms = NowUnixMs(),
                                .pending = true,
                                .request = request.SerializeAsString()};
    if (Status saved = log_.Save(intent); !saved.ok()) {
      return absl::UnavailableError(
          fmt::format("request_id '{}': the intent cannot be recorded, so nothing was changed: {}",
                      request_id, MessageOf(saved)));
    }
  } else {
    spdlog::info("{}: resuming request_id '{}', cut short before it answered", method, request_id);
  }
  Intent intent(&log_, request_id, resuming,
                resuming ? ParseGenerated(kept->generated) : std::map<std::string, std::string>{});
  Status acted = act(intent);
  if (resuming && acted.code() == absl::StatusCode::kNotFound &&
      MethodName(method).starts_with("Delete")) {
    spdlog::info("{}: request_id '{}' had deleted it before it was cut short: {}", method,
                 request_id, MessageOf(acted));
    response->Clear();
    acted = absl::OkStatus();
  }
  Record(method, request_id, acted, *response);
  return acted;
}

void RequestReplay::Record(const std::string& method, const std::string& request_id,
                           const Status& acted, const google::protobuf::Message& response) {
  if (acted.ok()) {
    // The change is done; failing the call now would invite a second one. The
    // intent stays pending: a retry resumes it and finds the change made.
    if (Status saved = log_.Complete(request_id, 0, "", response.SerializeAsString());
        !saved.ok()) {
      spdlog::error("{}: done, but the answer to request_id '{}' was not kept: {}", method,
                    request_id, saved);
    }
    return;
  }
  if (!Forgotten(acted)) {
    spdlog::warn("{}: request_id '{}' failed midway ({}); its intent stays, for a retry to resume",
                 method, request_id, acted);
    return;
  }
  if (Status forgot = log_.Forget(request_id); !forgot.ok()) {
    spdlog::error("{}: request_id '{}' was refused, but its intent stays: {}", method, request_id,
                  forgot);
  }
}

}  // namespace hvagent::api
