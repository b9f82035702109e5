#include "hvagent/api/event_hub.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>

namespace hvagent::api {

v1::Event NewEvent(v1::EventKind kind, std::string object_name) {
  v1::Event event;
  event.set_kind(kind);
  event.set_object_name(std::move(object_name));
  return event;
}

uint64_t EventHub::Publish(v1::Event event) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  *event.mutable_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
  return ring_.Publish(std::move(event));
}

}  // namespace hvagent::api
