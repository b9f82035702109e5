// EventService.Watch: streams the EventHub's events to one client, filtered,
// resumable, and never slowing the agent: a client that falls out of the ring
// gets a ResyncRequired event and continues from the oldest kept event.
#pragma once

#include "hvagent/api/event_hub.h"
#include "hvagent/v1/events.grpc.pb.h"

namespace hvagent::api {

class EventServiceImpl final : public v1::EventService::CallbackService {
 public:
  explicit EventServiceImpl(EventHub& hub) : hub_(hub) {}

  grpc::ServerWriteReactor<v1::Event>* Watch(grpc::CallbackServerContext* context,
                                             const v1::WatchRequest* request) override;

 private:
  EventHub& hub_;
};

}  // namespace hvagent::api
