// request_id replay: the first successful result of a mutating call is kept
// in the local store under its request_id, and a retry with the same id gets
// that result back instead of acting twice. Failed calls change nothing, so
// they are not kept: a retry of one simply runs again.
#pragma once

#include <google/protobuf/message.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "hvagent/common/status.h"
#include "hvagent/store/request_log.h"

namespace hvagent::api {

class RequestReplay {
 public:
  explicit RequestReplay(store::RequestLog& log) : log_(log) {}

  // Runs `act` (which fills `response`) unless `request_id` was already
  // answered, in which case `response` is filled from the kept result.
  // Reusing a request_id for a different method or request is INVALID_ARGUMENT.
  // Two calls with one request_id at once run one after the other, so the
  // second replays the first instead of acting too.
  Status Run(const std::string& method, const std::string& request_id,
             const google::protobuf::Message& request, google::protobuf::Message* response,
             const std::function<Status()>& act);

  // A stable fingerprint of `request` (deterministic serialization, FNV-1a).
  static std::string Fingerprint(const google::protobuf::Message& request);

 private:
  store::RequestLog& log_;
  std::mutex mu_;
  std::condition_variable released_;
  std::set<std::string> in_flight_;  // request_ids being acted on now
};

}  // namespace hvagent::api
