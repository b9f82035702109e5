// Calls cut short by the agent's last end (killed, or a backend lost midway)
// left their intents pending in the store. At start each is called again on
// the agent's own server, with its request_id and recorded request: it then
// finishes what it began (RequestReplay resumes it), and its answer waits in
// the store for the client's retry. No change stays half-done while the
// client is away.
#pragma once

#include <grpcpp/channel.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "hvagent/store/request_record.h"

namespace hvagent::daemon {

class IntentResumer {
 public:
  // Starts resuming `intents` through `channel` (the server's in-process one).
  IntentResumer(std::vector<store::RequestRecord> intents, std::shared_ptr<grpc::Channel> channel);
  // Stops at once: a call under way is cancelled (its intent stays pending).
  ~IntentResumer();
  IntentResumer(const IntentResumer&) = delete;
  IntentResumer& operator=(const IntentResumer&) = delete;

  // Whether an intent of `method` is resumed here. Migrations are not: their
  // own journal finishes or rolls back an interrupted one.
  static bool Resumes(std::string_view method);

 private:
  void Run(std::vector<store::RequestRecord> intents);
  // Sleeps `seconds` unless stopped; false when stopped.
  bool Wait(int seconds);

  std::shared_ptr<grpc::Channel> channel_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  grpc::ClientContext* call_ = nullptr;  // the call under way, under mu_
  std::thread thread_;
};

}  // namespace hvagent::daemon
