// request_id replay and intents. Before a mutating call with a request_id
// acts, its intent is recorded in the local store (pending): the method, the
// request and, as the call makes them, the values it generates (MACs, UUIDs,
// disk targets). Its answer then completes the record, and a retry with the
// same id gets that answer back instead of acting twice.
//
// A call killed before it answered leaves its intent pending. A retry (or the
// agent itself, at its next start) resumes it: the act runs again with the
// recorded values, so it finds what the killed call did and finishes it, and
// never makes a second one. A refusal (the call changed nothing) forgets its
// intent: a retry of one simply runs again.
#pragma once

#include <google/protobuf/message.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "hvagent/common/status.h"
#include "hvagent/store/request_log.h"

namespace hvagent::api {

// One call's intent, as its act sees it.
class Intent {
 public:
  // A call with no request_id: nothing is recorded, nothing resumed.
  Intent() = default;
  Intent(store::RequestLog* log, std::string request_id, bool resuming,
         std::map<std::string, std::string> generated)
      : log_(log),
        request_id_(std::move(request_id)),
        resuming_(resuming),
        generated_(std::move(generated)) {}

  // True when an earlier call with this request_id was cut short (the agent
  // was killed, or a backend failed midway): what it did may be done already.
  bool resuming() const { return resuming_; }

  // The value named `name` that this call generates: the one recorded for
  // it, or else `make()`'s, recorded before it is returned (UNAVAILABLE when
  // the store cannot record it: the call must not act on a value it could
  // not make again).
  StatusOr<std::string> Generate(const std::string& name, const std::function<std::string()>& make);

  // True when `created`, a create's answer, is ALREADY_EXISTS while this call
  // resumes a cut-short one: the object is the one that call made (its
  // request named it), so the create is done and answers with it.
  bool MadeBefore(const Status& created) const {
    return resuming_ && created.code() == absl::StatusCode::kAlreadyExists;
  }

  const std::map<std::string, std::string>& generated() const { return generated_; }

 private:
  store::RequestLog* log_ = nullptr;  // null: no request_id
  std::string request_id_;
  bool resuming_ = false;
  std::map<std::string, std::string> generated_;
};

class RequestReplay {
 public:
  explicit RequestReplay(store::RequestLog& log) : log_(log) {}

  using Act = std::function<Status(Intent&)>;

  // Runs `act` (which fills `response`) unless `request_id` was already
  // answered, in which case `response` is filled from the kept result.
  // Reusing a request_id for a different method or request is INVALID_ARGUMENT.
  // Two calls with one request_id at once run one after the other, so the
  // second replays the first instead of acting too. A resumed Delete* that
  // finds its object gone answers OK: the cut-short call deleted it.
  Status Run(const std::string& method, const std::string& request_id,
             const google::protobuf::Message& request, google::protobuf::Message* response,
             const Act& act);
  // For an act that generates nothing and needs not know it resumes.
  Status Run(const std::string& method, const std::string& request_id,
             const google::protobuf::Message& request, google::protobuf::Message* response,
             const std::function<Status()>& act) {
    return Run(method, request_id, request, response, Act([&act](Intent&) { return act(); }));
  }

  // A stable fingerprint of `request` (deterministic serialization, FNV-1a).
  static std::string Fingerprint(const google::protobuf::Message& request);

 private:
  // `acted`, the outcome of an act, recorded under `request_id`.
  void Record(const std::string& method, const std::string& request_id, const Status& acted,
              const google::protobuf::Message& response);

  store::RequestLog& log_;
  std::mutex mu_;
  std::condition_variable released_;
  std::set<std::string> in_flight_;  // request_ids being acted on now
};

}  // namespace hvagent::api
