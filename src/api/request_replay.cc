#include "hvagent/api/request_replay.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "hvagent/common/unix_clock.h"
#include "spdlog/spdlog.h"

namespace hvagent::api {

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
                          google::protobuf::Message* response, const std::function<Status()>& act) {
  if (request_id.empty()) return act();
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
  if (kept.has_value()) {
    if (kept->method != method || kept->fingerprint != fingerprint) {
      return absl::InvalidArgumentError(fmt::format(
          "request_id: '{}' was already used for a different request ({}); use a new id",
          request_id, kept->method));
    }
    if (!response->ParseFromString(kept->response)) {
      return absl::InternalError(
          fmt::format("request_id '{}': the kept response cannot be read", request_id));
    }
    spdlog::debug("{}: replaying the result of request_id '{}'", method, request_id);
    return Status(static_cast<absl::StatusCode>(kept->status_code), kept->status_message);
  }
  HVAGENT_RETURN_IF_ERROR(act());
  store::RequestRecord record{.request_id = request_id,
                              .method = method,
                              .fingerprint = fingerprint,
                              .status_code = 0,
                              .status_message = "",
                              .response = response->SerializeAsString(),
                              .created_unix_ms = NowUnixMs()};
  if (Status saved = log_.Save(record); !saved.ok()) {
    // The change is done; failing the call now would invite a second one.
    spdlog::error("{}: done, but request_id '{}' was not kept: {}", method, request_id, saved);
  }
  return absl::OkStatus();
}

}  // namespace hvagent::api
