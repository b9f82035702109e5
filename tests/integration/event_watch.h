// A Watch call on an agent's event stream for tests: open and set up once
// constructed (every event published after that reaches it), cancelled when
// it goes.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "hvagent/v1/events.grpc.pb.h"
#include "hvagent_test/agent_process.h"

namespace hvagent::testing {

class EventWatch {
 public:
  EventWatch(const std::shared_ptr<grpc::Channel>& channel, const v1::WatchRequest& request,
             int seconds)
      : stub_(v1::EventService::NewStub(channel)),
        ctx_(Ctx(seconds)),
        reader_(stub_->Watch(ctx_.get(), request)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the stream is set up
  }
  ~EventWatch() { Close(); }
  EventWatch(const EventWatch&) = delete;
  EventWatch& operator=(const EventWatch&) = delete;

  // A request for the events of one kind.
  static v1::WatchRequest Of(v1::EventKind kind) {
    v1::WatchRequest request;
    request.add_kinds(kind);
    return request;
  }

  // The next event; false when the stream ended.
  bool Read(v1::Event* event) { return reader_->Read(event); }
  // The next `n` events, fewer if the stream ends first.
  std::vector<v1::Event> Read(size_t n) {
    std::vector<v1::Event> events;
    v1::Event event;
    while (events.size() < n && reader_->Read(&event)) events.push_back(event);
    return events;
  }
  // Cancels the call; what was already received can still be read.
  void Cancel() { ctx_->TryCancel(); }
  // How a stream that ended (was read to its end) ended.
  grpc::Status Finish() {
    finished_ = true;
    return reader_->Finish();
  }
  // Cancels and ends the call, if not ended yet.
  void Close() {
    if (finished_) return;
    Cancel();
    Finish();
  }

 private:
  std::unique_ptr<v1::EventService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  std::unique_ptr<grpc::ClientReader<v1::Event>> reader_;
  bool finished_ = false;
};

}  // namespace hvagent::testing
