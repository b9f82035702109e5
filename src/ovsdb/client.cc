#include "hvagent/ovsdb/client.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "hvagent/common/errno_message.h"
#include "hvagent/ovsdb/json_framer.h"

namespace hvagent::ovsdb {

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr const char* kMonitorId = "hvagent";
constexpr auto kStableConnection = std::chrono::seconds(10);
// ovs-vswitchd takes this OVSDB lock (vswitchd/bridge.c) so that only one runs.
constexpr const char* kVswitchdLock = "ovs_vswitchd";

// What a missing "result" reads as: no rows.
const json& EmptyObject() {
  static const json kEmpty = json::object();
  return kEmpty;
}

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

bool HasError(const json& reply) { return reply.contains("error") && !reply["error"].is_null(); }

}  // namespace

// The socket of one connection: any thread sends (whole messages, under a
// lock), only the reader thread receives.
class Client::Stream {
 public:
  explicit Stream(SocketFd fd) : fd_(std::move(fd)) {}

  int fd() const { return fd_.get(); }

  // A failed or partial send leaves the stream unusable: it is shut down, so
  // the reader sees the break and reconnects.
  Status Send(const json& message, Clock::time_point deadline) {
    const std::string text = message.dump(-1, ' ', false, json::error_handler_t::replace);
    std::lock_guard lock(send_mu_);
    size_t sent = 0;
    while (sent < text.size()) {
      const ssize_t n = send(fd_.get(), text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        const int err = errno;
        Shutdown();
        return absl::UnavailableError(fmt::format("ovsdb send: {}", ErrnoMessage(err)));
      }
      pollfd pfd{fd_.get(), POLLOUT, 0};
      if (poll(&pfd, 1, MillisLeft(deadline)) != 1) {
        Shutdown();
        return absl::UnavailableError("ovsdb send: timed out");
      }
    }
    return absl::OkStatus();
  }

  void Shutdown() { shutdown(fd_.get(), SHUT_RDWR); }

  JsonFramer framer;  // the reader's

 private:
  SocketFd fd_;
  std::mutex send_mu_;
};

struct Client::Member {
  json operations;
  bool changes = false;
  bool done = false;
  StatusOr<json> result = absl::UnknownError("not run");
  std::optional<int64_t> next_cfg;  // committed with this next_cfg: wait for cur_cfg
  bool no_vswitchd = false;         // and no ovs-vswitchd was connected to apply it
};

struct Client::PendingCall {
  bool done = false;
  Status status;  // not OK when the connection broke first
  json reply;
};

namespace {

// Waits for bytes on the stream (or the wake fd) and buffers them.
// CANCELLED when woken for shutdown, DEADLINE_EXCEEDED on timeout.
template <typename StreamT>
Status ReadInto(StreamT& stream, int wake_fd, int timeout_ms) {
  pollfd pfds[2] = {{stream.fd(), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  const int ready = poll(pfds, 2, timeout_ms);
  if (ready < 0) {
    if (errno == EINTR) return absl::OkStatus();
    return absl::UnavailableError(fmt::format("ovsdb poll: {}", ErrnoMessage(errno)));
  }
  if (pfds[1].revents != 0) return absl::CancelledError("ovsdb client is stopping");
  if (ready == 0) return absl::DeadlineExceededError("ovsdb: nothing to read");
  char chunk[65536];
  const ssize_t n = recv(stream.fd(), chunk, sizeof(chunk), 0);
  if (n == 0) return absl::UnavailableError("ovsdb-server closed the connection");
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return absl::OkStatus();
    return absl::UnavailableError(fmt::format("ovsdb recv: {}", ErrnoMessage(errno)));
  }
  stream.framer.Append(std::string_view(chunk, static_cast<size_t>(n)));
  return absl::OkStatus();
}

json EchoReply(const json& request) {
  return {{"result", request.value("params", json::array())},
          {"error", nullptr},
          {"id", request.value("id", json())}};
}

// During the handshake: the reply with `id`, answering echoes meanwhile.
template <typename StreamT>
StatusOr<json> AwaitReply(StreamT& stream, int wake_fd, const std::string& id,
                          Clock::time_point deadline) {
  while (true) {
    HVAGENT_ASSIGN_OR_RETURN(std::optional<json> message, stream.framer.Next());
    if (!message) {
      Status read = ReadInto(stream, wake_fd, MillisLeft(deadline));
      if (read.code() == absl::StatusCode::kDeadlineExceeded) {
        return absl::UnavailableError(fmt::format("ovsdb-server did not answer {}", id));
      }
      HVAGENT_RETURN_IF_ERROR(read);
      continue;
    }
    if (message->contains("method")) {
      if ((*message)["method"] == "echo") {
        HVAGENT_RETURN_IF_ERROR(stream.Send(EchoReply(*message), deadline));
      }
      continue;
    }
    if (message->value("id", json()) == id) return *std::move(message);
  }
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)) {
  wake_ = SocketFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (Status first = ConnectOnce(); !first.ok()) {
    spdlog::warn("ovsdb: {} not connected yet: {}", options_.endpoint, first);
  }
  io_thread_ = std::thread([this] { RunIo(); });
  batch_thread_ = std::thread([this] { RunBatches(); });
}

Client::~Client() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (stream_) stream_->Shutdown();
  }
  const uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof(one)) < 0) {
    spdlog::warn("ovsdb: cannot wake the reader: {}", ErrnoMessage(errno));
  }
  queue_cv_.notify_all();
  state_cv_.notify_all();
  batch_thread_.join();
  io_thread_.join();
}

Status Client::ConnectOnce() {
  HVAGENT_ASSIGN_OR_RETURN(SocketFd fd,
                           SocketFd::Connect(options_.endpoint, options_.connect_timeout));
  auto stream = std::make_shared<Stream>(std::move(fd));
  const auto deadline = Clock::now() + options_.call_timeout;

  HVAGENT_RETURN_IF_ERROR(stream->Send(
      {{"method", "get_schema"}, {"params", json::array({kDatabase})}, {"id", "schema"}},
      deadline));
  HVAGENT_ASSIGN_OR_RETURN(json schema_reply, AwaitReply(*stream, wake_.get(), "schema", deadline));
  if (HasError(schema_reply)) {
    return absl::FailedPreconditionError(
        fmt::format("ovsdb get_schema failed: {}", schema_reply["error"].dump()));
  }
  HVAGENT_ASSIGN_OR_RETURN(DatabaseSchema schema,
                           DatabaseSchema::Parse(schema_reply.value("result", json())));

  json requests = json::object();
  // The cache's view: only the monitored tables and columns (defaults are
  // filled in for these alone).
  DatabaseSchema monitored{.name = schema.name, .version = schema.version, .tables = {}};
  for (const std::string& table : options_.tables) {
    const auto found = schema.tables.find(table);
    if (found == schema.tables.end()) continue;  // an older schema: nothing to monitor
    const auto skipped = options_.skipped_columns.find(table);
    json columns = json::array();
    for (const auto& [column, type] : found->second.columns) {
      if (skipped != options_.skipped_columns.end() &&
          std::find(skipped->second.begin(), skipped->second.end(), column) !=
              skipped->second.end()) {
        continue;
      }
      columns.push_back(column);
    }
    requests[table] = {{"columns", columns}};
    monitored.tables[table] = {};
    for (const json& column : columns) {
      monitored.tables[table].columns[column.get<std::string>()] =
          found->second.columns.at(column.get<std::string>());
    }
  }
  const json params = json::array({kDatabase, kMonitorId, requests});

  // monitor_cond (update2: diffs) where the server has it, else RFC 7047 monitor.
  bool update2 = true;
  HVAGENT_RETURN_IF_ERROR(
      stream->Send({{"method", "monitor_cond"}, {"params", params}, {"id", "monitor"}}, deadline));
  HVAGENT_ASSIGN_OR_RETURN(json monitor_reply,
                           AwaitReply(*stream, wake_.get(), "monitor", deadline));
  if (HasError(monitor_reply)) {
    spdlog::info("ovsdb: monitor_cond refused ({}), using monitor", monitor_reply["error"].dump());
    update2 = false;
    HVAGENT_RETURN_IF_ERROR(
        stream->Send({{"method", "monitor"}, {"params", params}, {"id", "monitor1"}}, deadline));
    HVAGENT_ASSIGN_OR_RETURN(monitor_reply, AwaitReply(*stream, wake_.get(), "monitor1", deadline));
    if (HasError(monitor_reply)) {
      return absl::FailedPreconditionError(
          fmt::format("ovsdb monitor failed: {}", monitor_reply["error"].dump()));
    }
  }
  Cache fresh;
  // Read in place: json::value() would return a copy of the whole reply,
  // on a full host a third DOM of every row beside the reply and the cache.
  const auto result = monitor_reply.find("result");
  const json& initial = result != monitor_reply.end() ? *result : EmptyObject();
  auto applied =
      update2 ? fresh.ApplyUpdate2(initial, monitored) : fresh.ApplyUpdate(initial, monitored);
  if (!applied.ok()) return Annotate(applied.status(), "ovsdb monitor reply");
  monitor_reply = json();  // its rows are in the cache now

  std::vector<RowChange> changes;
  std::string version;
  {
    std::lock_guard lock(mu_);
    if (stop_) return absl::CancelledError("ovsdb client is stopping");
    // A full resync: the fresh cache replaces the old one whole.
    changes = Cache::Diff(cache_, fresh);
    cache_ = std::move(fresh);
    schema_ = std::move(monitored);
    update2_ = update2;
    stream_ = stream;
    version = schema_.version;
    ++stats_.connects;
  }
  state_cv_.notify_all();
  Notify(changes);
  spdlog::info("ovsdb: connected to {} (schema {}, {})", options_.endpoint, version,
               update2 ? "monitor_cond" : "monitor");
  return absl::OkStatus();
}

void Client::RunIo() {
  auto backoff = options_.backoff_min;
  bool quiet = false;  // one warning per outage, not one per attempt
  while (true) {
    std::shared_ptr<Stream> stream;
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      stream = stream_;
    }
    if (!stream) {
      if (Status s = ConnectOnce(); !s.ok()) {
        if (!quiet) spdlog::warn("ovsdb: cannot connect to {}: {}", options_.endpoint, s);
        quiet = true;
        std::unique_lock lock(mu_);
        state_cv_.wait_for(lock, backoff, [this] { return stop_; });
        backoff = std::min(backoff * 2, options_.backoff_max);
        continue;
      }
      quiet = false;
      std::lock_guard lock(mu_);
      stream = stream_;
      if (!stream) continue;
    }
    const auto connected_at = Clock::now();
    const Status why = ReadLoop(stream);
    Disconnect(why);
    if (why.code() == absl::StatusCode::kCancelled) return;
    spdlog::warn("ovsdb: connection to {} lost: {}; reconnecting", options_.endpoint, why);
    // Only a connection that lasted starts the backoff over: a server that
    // accepts and then drops us at once is retried ever more slowly.
    if (Clock::now() - connected_at > kStableConnection) backoff = options_.backoff_min;
    std::unique_lock lock(mu_);
    state_cv_.wait_for(lock, backoff, [this] { return stop_; });
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

Status Client::ReadLoop(const std::shared_ptr<Stream>& stream) {
  const auto probe = options_.probe_interval;
  auto last_rx = Clock::now();
  bool echo_sent = false;
  while (true) {
    while (true) {
      HVAGENT_ASSIGN_OR_RETURN(std::optional<json> message, stream->framer.Next());
      if (!message) break;
      HVAGENT_RETURN_IF_ERROR(Dispatch(*stream, *message));
    }
    const auto idle = Clock::now() - last_rx;
    if (idle >= 2 * probe) {
      return absl::UnavailableError(
          fmt::format("ovsdb-server sent nothing, not even an echo reply, for {}ms",
                      std::chrono::duration_cast<std::chrono::milliseconds>(idle).count()));
    }
    if (idle >= probe && !echo_sent) {
      HVAGENT_RETURN_IF_ERROR(stream->Send(
          {{"method", "echo"}, {"params", json::array()}, {"id", "echo"}}, Clock::now() + probe));
      echo_sent = true;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        (echo_sent ? 2 * probe : probe) - (Clock::now() - last_rx));
    Status read = ReadInto(*stream, wake_.get(), std::max<int>(1, static_cast<int>(wait.count())));
    if (read.code() == absl::StatusCode::kDeadlineExceeded) continue;
    HVAGENT_RETURN_IF_ERROR(read);
    last_rx = Clock::now();
    echo_sent = false;
  }
}

Status Client::Dispatch(Stream& stream, const json& message) {
  if (message.contains("method")) {
    const std::string method =
        message["method"].is_string() ? message["method"].get<std::string>() : "";
    if (method == "echo") {
      return stream.Send(EchoReply(message), Clock::now() + options_.call_timeout);
    }
    if (method == "update2" || method == "update") {
      const json& params = message.value("params", json());
      if (!params.is_array() || params.size() < 2) {
        return absl::InvalidArgumentError(fmt::format("ovsdb {} without updates", method));
      }
      std::vector<RowChange> changes;
      {
        std::lock_guard lock(mu_);
        auto applied = method == "update2" ? cache_.ApplyUpdate2(params[1], schema_)
                                           : cache_.ApplyUpdate(params[1], schema_);
        // A cache that cannot follow the server must be rebuilt: reconnect.
        if (!applied.ok()) return Annotate(applied.status(), "ovsdb " + method);
        changes = *std::move(applied);
      }
      state_cv_.notify_all();
      Notify(changes);
      return absl::OkStatus();
    }
    if (message.contains("id") && !message["id"].is_null()) {
      return stream.Send({{"result", nullptr}, {"error", "unknown method"}, {"id", message["id"]}},
                         Clock::now() + options_.call_timeout);
    }
    return absl::OkStatus();
  }
  const json& id = message.value("id", json());
  if (!id.is_number_unsigned()) return absl::OkStatus();  // our echo's reply
  {
    std::lock_guard lock(mu_);
    const auto it = calls_.find(id.get<uint64_t>());
    if (it == calls_.end()) return absl::OkStatus();  // a call that timed out
    it->second->reply = message;
    it->second->done = true;
    calls_.erase(it);
  }
  state_cv_.notify_all();
  return absl::OkStatus();
}

void Client::Disconnect(const Status& why) {
  {
    std::lock_guard lock(mu_);
    if (stream_) stream_->Shutdown();
    stream_.reset();
    for (auto& [id, call] : calls_) {
      call->status = absl::UnavailableError(
          fmt::format("connection to ovsdb-server lost ({}): the transaction's outcome is unknown",
                      MessageOf(why)));
      call->done = true;
    }
    calls_.clear();
  }
  state_cv_.notify_all();
}

StatusOr<json> Client::Call(const std::string& method, const json& params) {
  return std::move(CallMany({{method, params}}).front());
}

std::vector<StatusOr<json>> Client::CallMany(
    const std::vector<std::pair<std::string, json>>& requests) {
  std::vector<std::shared_ptr<PendingCall>> calls;
  std::vector<uint64_t> ids;
  std::shared_ptr<Stream> stream;
  {
    std::lock_guard lock(mu_);
    if (!stream_) {
      return {requests.size(), absl::UnavailableError(fmt::format(
                                   "ovsdb-server at {} is not connected", options_.endpoint))};
    }
    stream = stream_;
    for (size_t i = 0; i < requests.size(); ++i) {
      ids.push_back(next_id_++);
      calls.push_back(std::make_shared<PendingCall>());
      calls_[ids.back()] = calls.back();
    }
  }
  // Sent back to back: the server answers in order, so N requests cost one round trip.
  const auto deadline = Clock::now() + options_.call_timeout;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& [method, params] = requests[i];
    if (Status sent =
            stream->Send({{"method", method}, {"params", params}, {"id", ids[i]}}, deadline);
        !sent.ok()) {
      std::lock_guard lock(mu_);
      for (const uint64_t id : ids) calls_.erase(id);
      return {requests.size(),
              absl::UnavailableError(fmt::format("ovsdb {}: {}", method, MessageOf(sent)))};
    }
  }
  std::vector<StatusOr<json>> results;
  std::unique_lock lock(mu_);
  for (size_t i = 0; i < requests.size(); ++i) {
    const std::string& method = requests[i].first;
    const auto& call = calls[i];
    if (!state_cv_.wait_until(lock, deadline, [&] { return call->done; })) {
      calls_.erase(ids[i]);
      results.emplace_back(absl::UnavailableError(
          fmt::format("ovsdb-server did not answer {} within {}ms: its outcome is unknown", method,
                      options_.call_timeout.count())));
    } else if (!call->status.ok()) {
      results.emplace_back(call->status);
    } else if (HasError(call->reply)) {
      results.emplace_back(absl::InternalError(
          fmt::format("ovsdb {} failed: {}", method, call->reply["error"].dump())));
    } else {
      results.emplace_back(call->reply.value("result", json()));
    }
  }
  return results;
}

StatusOr<json> Client::Transact(const json& operations) {
  if (!operations.is_array()) {
    return absl::InvalidArgumentError("ovsdb transact takes an array of operations");
  }
  try {
    (void)operations.dump();
  } catch (const json::type_error& e) {
    return absl::InvalidArgumentError(
        fmt::format("ovsdb operations must be valid UTF-8 JSON: {}", e.what()));
  }
  auto member = std::make_shared<Member>();
  member->operations = operations;
  member->changes = ChangesDatabase(operations);
  std::unique_lock lock(mu_);
  if (stop_) return absl::UnavailableError("ovsdb client is stopping");
  if (!stream_) {
    return absl::UnavailableError(fmt::format(
        "ovsdb-server at {} is not connected (reconnecting in the background)", options_.endpoint));
  }
  queue_.push_back(member);
  queue_cv_.notify_one();
  state_cv_.wait(lock, [&] { return member->done; });
  if (!member->result.ok() || !member->next_cfg || !options_.wait_for_apply) return member->result;

  // Acknowledged only once ovs-vswitchd applied it, as ovs-vsctl does.
  const int64_t target = *member->next_cfg;
  if (member->no_vswitchd && CurCfgLocked() < target) {
    return absl::UnavailableError(fmt::format(
        "the change was committed to ovsdb-server but not applied: no ovs-vswitchd is connected "
        "to it (next_cfg {}, cur_cfg {})",
        target, CurCfgLocked()));
  }
  state_cv_.wait_for(lock, options_.apply_timeout,
                     [&] { return CurCfgLocked() >= target || !stream_ || stop_; });
  if (CurCfgLocked() >= target) return member->result;
  const std::string what = fmt::format(
      "the change was committed to ovsdb-server but ovs-vswitchd has not applied it yet "
      "(next_cfg {}, cur_cfg {})",
      target, CurCfgLocked());
  if (!stream_ || stop_) {
    return absl::UnavailableError(what + "; the connection to ovsdb-server was lost");
  }
  return absl::DeadlineExceededError(
      fmt::format("{} after {}ms", what, options_.apply_timeout.count()));
}

void Client::RunBatches() {
  while (true) {
    std::vector<std::shared_ptr<Member>> group;
    {
      std::unique_lock lock(mu_);
      queue_cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) {
        for (const auto& member : queue_) {
          member->result = absl::UnavailableError("ovsdb client is stopping");
          member->done = true;
        }
        queue_.clear();
        state_cv_.notify_all();
        return;
      }
      // Everyone who queued while the previous transact was in flight goes in
      // this one, unless a member must run alone.
      group.push_back(queue_.front());
      queue_.pop_front();
      if (!MustRunAlone(group.front()->operations)) {
        size_t ops = group.front()->operations.size();
        while (!queue_.empty() && !MustRunAlone(queue_.front()->operations) &&
               ops + queue_.front()->operations.size() <= options_.max_batch_operations) {
          ops += queue_.front()->operations.size();
          group.push_back(queue_.front());
          queue_.pop_front();
        }
      }
    }
    RunBatch(std::move(group));
  }
}

void Client::RunBatch(std::vector<std::shared_ptr<Member>> members) {
  const auto finish = [this](const std::shared_ptr<Member>& member, StatusOr<json> result,
                             std::optional<int64_t> next_cfg) {
    {
      std::lock_guard lock(mu_);
      member->result = std::move(result);
      member->next_cfg = next_cfg;
      member->done = true;
      ++stats_.transactions;
    }
    state_cv_.notify_all();
  };
  std::deque<std::vector<std::shared_ptr<Member>>> work;
  work.push_back(std::move(members));
  bool rerun = false;
  while (!work.empty()) {
    std::vector<std::shared_ptr<Member>> group = std::move(work.front());
    work.pop_front();
    std::vector<json> operations;
    bool changes = false;
    for (const auto& member : group) {
      operations.push_back(member->operations);
      changes = changes || member->changes;
    }
    // Every change moves next_cfg, as ovs-vsctl's do: ovs-vswitchd reconfigures
    // reliably on it (and cur_cfg then says when it is done).
    const Batch batch = Batch::Merge(operations, changes);
    json params = json::array({kDatabase});
    for (const json& op : batch.operations) params.push_back(op);
    {
      std::lock_guard lock(mu_);
      stats_.in_flight = group.size();
    }
    // With the write: is an ovs-vswitchd there to apply it? It holds the
    // "ovs_vswitchd" lock while connected; if we can take it, nobody does (we
    // give it back at once, in the same round trip).
    const bool probe_vswitchd = options_.wait_for_apply && batch.bumps_next_cfg;
    std::vector<std::pair<std::string, json>> requests = {{"transact", params}};
    if (probe_vswitchd) {
      requests.emplace_back("lock", json::array({kVswitchdLock}));
      requests.emplace_back("unlock", json::array({kVswitchdLock}));
    }
    auto replies = CallMany(requests);
    auto& results = replies.front();
    const bool no_vswitchd =
        probe_vswitchd && replies[1].ok() && replies[1]->value("locked", false);
    {
      std::lock_guard lock(mu_);
      stats_.in_flight = 0;
      ++stats_.round_trips;
      ++stats_.batch_sizes[group.size()];
      stats_.max_batch = std::max<uint64_t>(stats_.max_batch, group.size());
      if (rerun) stats_.reruns += group.size();
    }
    rerun = true;
    if (!results.ok()) {
      for (const auto& member : group) finish(member, results.status(), std::nullopt);
      continue;
    }
    auto reply = BatchReply::Split(batch, *results);
    if (!reply.ok()) {
      for (const auto& member : group) finish(member, reply.status(), std::nullopt);
      continue;
    }
    if (reply->committed) {
      for (size_t i = 0; i < group.size(); ++i) {
        group[i]->no_vswitchd = no_vswitchd;
        finish(group[i], std::move(reply->member_results[i]),
               group[i]->changes ? reply->next_cfg : std::nullopt);
      }
      continue;
    }
    if (reply->guilty) {
      // Its own operation failed, after the members before it (as if run in
      // order); nothing was committed, so the others go again without it.
      finish(group[*reply->guilty], reply->error, std::nullopt);
      std::vector<std::shared_ptr<Member>> others;
      for (size_t i = 0; i < group.size(); ++i) {
        if (i != *reply->guilty) others.push_back(group[i]);
      }
      if (!others.empty()) work.push_front(std::move(others));
      continue;
    }
    // The commit failed as a whole (e.g. two members inserting one name):
    // each member alone finds out whose fault it is.
    for (const auto& member : group) work.push_back({member});
  }
}

int64_t Client::CurCfgLocked() const {
  const Table& table = cache_.table("Open_vSwitch");
  if (table.empty()) return -1;
  const Row& row = table.begin()->second;
  const auto it = row.find("cur_cfg");
  return it != row.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
}

void Client::Notify(const std::vector<RowChange>& changes) {
  if (changes.empty()) return;
  std::lock_guard lock(listeners_mu_);
  for (const auto& [id, listener] : listeners_) listener(changes);
}

bool Client::connected() const {
  std::lock_guard lock(mu_);
  return stream_ != nullptr;
}

std::string Client::schema_version() const {
  std::lock_guard lock(mu_);
  return schema_.version;
}

bool Client::WaitConnected(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return state_cv_.wait_for(lock, timeout, [this] { return stream_ != nullptr || stop_; }) &&
         stream_ != nullptr;
}

bool Client::ReadCache(const std::function<void(const Cache&)>& read) {
  std::lock_guard lock(mu_);
  if (!stream_) return false;  // not followed while disconnected
  read(cache_);
  return true;
}

Table Client::GetTable(const std::string& table) const {
  std::lock_guard lock(mu_);
  return cache_.table(table);
}

std::optional<Row> Client::GetRow(const std::string& table, const std::string& uuid) const {
  std::lock_guard lock(mu_);
  const Table& rows = cache_.table(table);
  const auto it = rows.find(uuid);
  if (it == rows.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, Row>> Client::Find(const std::string& table,
                                                      const std::string& column,
                                                      const json& value) const {
  const json wanted = NormalizeDatum(value);
  std::vector<std::pair<std::string, Row>> found;
  std::lock_guard lock(mu_);
  for (const auto& [uuid, row] : cache_.table(table)) {
    const auto it = row.find(column);
    if (it != row.end() && *it == wanted) found.emplace_back(uuid, row);
  }
  return found;
}

uint64_t Client::AddListener(Listener listener) {
  std::lock_guard lock(listeners_mu_);
  const uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Client::RemoveListener(uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

ClientStats Client::stats() const {
  std::lock_guard lock(mu_);
  ClientStats stats = stats_;
  stats.queued = queue_.size();
  return stats;
}

}  // namespace hvagent::ovsdb
