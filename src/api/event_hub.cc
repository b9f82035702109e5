#include "hvagent/api/event_hub.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>

namespace hvagent::api {

uint64_t EventHub::Publish(v1::Event event) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  *event.mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
  return ring_.Publish(std::move(event));
}

}  // namespace hvagent::api
