#include "hvagent/common/operation_registry.h"

#include <algorithm>
#include <future>

#include "hvagent/common/uuid.h"
#include "spdlog/spdlog.h"

namespace hvagent {

std::string_view OperationStateName(OperationState state) {
  switch (state) {
    case OperationState::kRunning: return "running";
    case OperationState::kSucceeded: return "succeeded";
    case OperationState::kFailed: return "failed";
    case OperationState::kCancelled: return "cancelled";
  }
  return "unknown";
}

void OperationContext::Report(OperationProgress progress) {
  registry_.Update(id_, [&](OperationSnapshot& s) { s.progress = std::move(progress); });
}

bool OperationContext::CancelRequested() const {
  std::lock_guard lock(registry_.mu_);
  const auto it = registry_.running_.find(id_);
  return it == registry_.running_.end() || it->second.snapshot.cancel_requested;
}

bool OperationContext::WaitForCancel(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(registry_.mu_);
  return registry_.changed_.wait_for(lock, timeout, [this] {
    const auto it = registry_.running_.find(id_);
    return it == registry_.running_.end() || it->second.snapshot.cancel_requested;
  });
}

OperationRegistry::~OperationRegistry() {
  std::vector<std::thread> threads;
  {
    std::unique_lock lock(mu_);
    stopping_ = true;
    for (auto& [id, entry] : running_) entry.snapshot.cancel_requested = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return running_.empty(); });
    threads.swap(done_threads_);
  }
  for (std::thread& t : threads) t.join();
}

StatusOr<std::string> OperationRegistry::Start(const std::string& kind, const std::string& object,
                                               std::function<Status(OperationContext&)> work,
                                               std::string id) {
  std::vector<std::thread> ended;
  OperationSnapshot started;
  std::promise<void> announce;
  std::shared_future<void> announced = announce.get_future().share();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return absl::UnavailableError("the agent is shutting down");
    for (const auto& [running_id, entry] : running_) {
      if (entry.snapshot.object == object) {
        return absl::FailedPreconditionError(
            fmt::format("'{}' already has a {} running (operation {})", object, entry.snapshot.kind,
                        running_id));
      }
    }
    const bool known = running_.contains(id) ||
                       std::any_of(finished_.begin(), finished_.end(),
                                   [&](const OperationSnapshot& s) { return s.id == id; });
    if (!id.empty() && known) {
      return absl::AlreadyExistsError(fmt::format("operation '{}' already exists", id));
    }
    ended.swap(done_threads_);
    started = {.id = id.empty() ? NewUuid() : std::move(id),
               .kind = kind,
               .object = object,
               .started = std::chrono::system_clock::now()};
    Entry& entry = running_[started.id];
    entry.snapshot = started;
    // Under the lock: the work's Finish waits for it, so the thread is stored
    // first. The work waits for `announced`: its start is told before its progress.
    entry.thread = std::thread([this, id = started.id, work = std::move(work), announced] {
      announced.wait();
      OperationContext context(*this, id);
      Status result;
      try {
        result = work(context);
      } catch (const std::exception& e) {
        result = absl::InternalError(fmt::format("internal error: {}", e.what()));
      }
      Finish(id, std::move(result));
    });
  }
  if (listener_) listener_(started);
  announce.set_value();
  for (std::thread& t : ended) t.join();
  return started.id;
}

void OperationRegistry::Update(const std::string& id,
                               const std::function<void(OperationSnapshot&)>& change) {
  OperationSnapshot changed;
  {
    std::lock_guard lock(mu_);
    const auto it = running_.find(id);
    if (it == running_.end()) return;
    change(it->second.snapshot);
    changed = it->second.snapshot;
    changed_.notify_all();
  }
  if (listener_) listener_(changed);
}

void OperationRegistry::Finish(const std::string& id, Status result) {
  OperationSnapshot ended;
  {
    std::lock_guard lock(mu_);
    const auto it = running_.find(id);
    ended = it->second.snapshot;
    ended.finished = std::chrono::system_clock::now();
    ended.state = result.ok()                                     ? OperationState::kSucceeded
                  : result.code() == absl::StatusCode::kCancelled ? OperationState::kCancelled
                                                                  : OperationState::kFailed;
    ended.result = std::move(result);
    // A thread cannot join itself: the next Start (or the destructor) does.
    done_threads_.push_back(std::move(it->second.thread));
    running_.erase(it);
    finished_.push_front(ended);
    if (finished_.size() > keep_finished_) finished_.pop_back();
    changed_.notify_all();
  }
  spdlog::info("operation {} ({} of '{}') {}: {}", ended.id, ended.kind, ended.object,
               OperationStateName(ended.state), ended.result);
  if (listener_) listener_(ended);
}

StatusOr<OperationSnapshot> OperationRegistry::Get(const std::string& id) const {
  std::lock_guard lock(mu_);
  if (const auto it = running_.find(id); it != running_.end()) return it->second.snapshot;
  for (const OperationSnapshot& s : finished_) {
    if (s.id == id) return s;
  }
  return absl::NotFoundError(fmt::format("operation '{}' does not exist", id));
}

std::vector<OperationSnapshot> OperationRegistry::List() const {
  std::lock_guard lock(mu_);
  std::vector<OperationSnapshot> all;
  for (const auto& [id, entry] : running_) all.push_back(entry.snapshot);
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.started > b.started; });
  all.insert(all.end(), finished_.begin(), finished_.end());
  return all;
}

Status OperationRegistry::Cancel(const std::string& id) {
  OperationSnapshot changed;
  {
    std::lock_guard lock(mu_);
    const auto it = running_.find(id);
    if (it == running_.end()) {
      for (const OperationSnapshot& s : finished_) {
        if (s.id == id) {
          return absl::FailedPreconditionError(fmt::format("operation '{}' has already ended ({})",
                                                           id, OperationStateName(s.state)));
        }
      }
      return absl::NotFoundError(fmt::format("operation '{}' does not exist", id));
    }
    if (it->second.snapshot.cancel_requested) return absl::OkStatus();
    it->second.snapshot.cancel_requested = true;
    changed = it->second.snapshot;
    changed_.notify_all();
  }
  if (listener_) listener_(changed);
  return absl::OkStatus();
}

}  // namespace hvagent
