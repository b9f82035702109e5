// Long-running operations (a live migration first): each has an id, a kind,
// the object it acts on, progress, and a cancel request its work polls. The
// work runs on a thread of its own, never on a worker of the pool, so an
// operation that lasts minutes does not take a worker from the RPCs. The
// registry keeps finished operations (the most recent ones) so that a client
// can still ask how one ended.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hvagent/common/status.h"

namespace hvagent {

enum class OperationState { kRunning, kSucceeded, kFailed, kCancelled };
std::string_view OperationStateName(OperationState state);

struct OperationProgress {
  std::string phase;   // e.g. "copying memory"
  uint64_t done = 0;   // in the operation's own unit (bytes for a migration)
  uint64_t total = 0;  // 0 while unknown
};

struct OperationSnapshot {
  std::string id;
  std::string kind;    // e.g. "migration"
  std::string object;  // e.g. the VM's name
  OperationState state = OperationState::kRunning;
  OperationProgress progress;
  bool cancel_requested = false;
  Status result;  // once finished
  std::chrono::system_clock::time_point started;
  std::optional<std::chrono::system_clock::time_point> finished;
};

class OperationRegistry;

// What an operation's work sees: it reports progress and polls for cancel.
class OperationContext {
 public:
  const std::string& id() const { return id_; }
  void Report(OperationProgress progress);
  bool CancelRequested() const;
  // Waits up to `timeout` for a cancel request; true when one came (a poll
  // loop's sleep that a cancel cuts short).
  bool WaitForCancel(std::chrono::milliseconds timeout) const;

 private:
  friend class OperationRegistry;
  OperationContext(OperationRegistry& registry, std::string id)
      : registry_(registry), id_(std::move(id)) {}
  OperationRegistry& registry_;
  const std::string id_;
};

class OperationRegistry {
 public:
  // Called on every change of an operation (start, progress, cancel request,
  // end), outside the registry's lock: the agent turns it into events.
  using Listener = std::function<void(const OperationSnapshot&)>;

  explicit OperationRegistry(Listener listener = nullptr, size_t keep_finished = 256)
      : listener_(std::move(listener)), keep_finished_(keep_finished) {}
  // Requests cancel of every running operation and waits for them to end.
  ~OperationRegistry();
  OperationRegistry(const OperationRegistry&) = delete;
  OperationRegistry& operator=(const OperationRegistry&) = delete;

  // Starts `work` on its own thread and returns the new operation's id:
  // `id` when given (one the caller recorded before starting it), else a new
  // UUID. FAILED_PRECONDITION when an operation on `object` already runs (one
  // at a time per object); ALREADY_EXISTS when `id` is known here;
  // UNAVAILABLE once the registry is shutting down. The
  // work's status is the operation's result; CANCELLED (from a work that saw
  // the request) ends it as cancelled.
  StatusOr<std::string> Start(const std::string& kind, const std::string& object,
                              std::function<Status(OperationContext&)> work, std::string id = {});

  StatusOr<OperationSnapshot> Get(const std::string& id) const;
  // Running ones first, then finished ones, newest first.
  std::vector<OperationSnapshot> List() const;
  // Asks a running operation to stop; its work decides when. NOT_FOUND for an
  // unknown id, FAILED_PRECONDITION when it has already ended.
  Status Cancel(const std::string& id);

 private:
  friend class OperationContext;
  struct Entry {
    OperationSnapshot snapshot;
    std::thread thread;
  };
  void Update(const std::string& id, const std::function<void(OperationSnapshot&)>& change);
  void Finish(const std::string& id, Status result);

  const Listener listener_;
  const size_t keep_finished_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;
  std::map<std::string, Entry> running_;
  std::deque<OperationSnapshot> finished_;  // newest first
  std::vector<std::thread> done_threads_;   // joined by the next Start or the destructor
};

}  // namespace hvagent
