// The agent's event stream: typed hvagent.v1.Event values in a bounded ring,
// published by the backends and services, read by EventService.Watch.
#pragma once

#include <string>

#include "hvagent/events/event_ring.h"
#include "hvagent/v1/events.pb.h"

namespace hvagent::api {

// An event of `kind` about `object_name`; the caller fills its kind's payload.
v1::Event NewEvent(v1::EventKind kind, std::string object_name);

class EventHub {
 public:
  explicit EventHub(size_t capacity = events::EventRing<v1::Event>::kDefaultCapacity)
      : ring_(capacity) {}

  // Stamps the time and publishes; sequence and resume_token are filled per
  // reader from the ring's sequence.
  uint64_t Publish(v1::Event event);

  events::EventRing<v1::Event>& ring() { return ring_; }

 private:
  events::EventRing<v1::Event> ring_;
};

}  // namespace hvagent::api
