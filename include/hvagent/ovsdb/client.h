// The agent's OVSDB client, built like the OVS IDL: one long-lived JSON-RPC
// connection with a reader thread, a monitor_cond (or monitor) on the tables
// the agent uses kept in a local cache, echo keep-alives both ways, reconnect
// with capped exponential backoff and a full cache resync, coalescing of
// concurrent transactions into one round trip, and write acknowledgement: a
// change returns once ovs-vswitchd applied it (Open_vSwitch.cur_cfg reached
// the transaction's next_cfg).
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
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hvagent/common/status.h"
#include "hvagent/ovsdb/batch.h"
#include "hvagent/ovsdb/cache.h"
#include "hvagent/ovsdb/database_schema.h"
#include "hvagent/ovsdb/socket_fd.h"
#include "hvagent/ovsdb/transactor.h"

namespace hvagent::ovsdb {

struct ClientOptions {
  std::string endpoint;  // "unix:/path" or "tcp:host:port"
  // Wait for ovs-vswitchd to apply each change (next_cfg/cur_cfg). Off against a
  // bare ovsdb-server, which has no ovs-vswitchd to bump cur_cfg.
  bool wait_for_apply = true;
  std::chrono::milliseconds apply_timeout{15000};
  std::chrono::milliseconds call_timeout{15000};  // for a reply from the server
  std::chrono::milliseconds connect_timeout{2000};
  // Idle this long: send an echo; idle twice this long: the server is dead.
  std::chrono::milliseconds probe_interval{2000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{4000};
  size_t max_batch_operations = 5000;
  std::vector<std::string> tables = {"Open_vSwitch", "Bridge", "Port", "Interface",
                                     "Mirror",       "QoS",    "Queue"};
  // Columns left out of the monitor: none of them is read by the agent, and
  // on a full host they were most of its memory (each row is a JSON object
  // per column: ~13.9 KB per Port+Interface with every column, ~5.3 KB
  // without these) and of its updates (ovs-vswitchd rewrites statistics every
  // few seconds, and status, ifindex, mtu, link_speed as each port comes up).
  std::map<std::string, std::vector<std::string>> skipped_columns = {
      {"Interface",
       {"statistics",
        "status",
        "bfd",
        "bfd_status",
        "cfm_fault",
        "cfm_fault_status",
        "cfm_flap_count",
        "cfm_health",
        "cfm_mpid",
        "cfm_remote_mpids",
        "cfm_remote_opstate",
        "duplex",
        "error",
        "ifindex",
        "ingress_policing_kpkts_burst",
        "ingress_policing_kpkts_rate",
        "link_resets",
        "link_speed",
        "lldp",
        "mac",
        "mtu",
        "mtu_request",
        "ofport_request"}},
      {"Port",
       {"statistics", "status", "rstp_statistics", "rstp_status", "bond_downdelay", "bond_updelay",
        "bond_fake_iface", "cvlans", "fake_bridge", "mac"}}};
};

struct ClientStats {
  uint64_t transactions = 0;               // Transact calls that reached the server
  uint64_t round_trips = 0;                // "transact" requests sent (merged batches and re-runs)
  uint64_t reruns = 0;                     // members sent again after a merged batch failed
  uint64_t connects = 0;                   // successful connections (each one a full resync)
  uint64_t max_batch = 0;                  // most members in one transact
  std::map<size_t, uint64_t> batch_sizes;  // members per transact -> how many transacts
  size_t queued = 0;                       // members waiting for the next transact now
  size_t in_flight = 0;                    // members in the transact awaiting its reply now
};

class Client final : public Transactor {
 public:
  // Tries to connect once before returning (so a reachable server is in use at
  // once), then keeps (re)connecting in the background.
  explicit Client(ClientOptions options);
  ~Client() override;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // UNAVAILABLE at once while disconnected; FAILED_PRECONDITION with the
  // server's error, tagged (ErrorTag, error.h), when an operation fails
  // (nothing was committed); with
  // wait_for_apply, DEADLINE_EXCEEDED (or UNAVAILABLE if the connection broke)
  // when the change was committed but ovs-vswitchd did not apply it in time,
  // and UNAVAILABLE at once when no ovs-vswitchd is connected to apply it.
  StatusOr<nlohmann::json> Transact(const nlohmann::json& operations) override;
  bool ReadCache(const std::function<void(const Cache&)>& read) override;

  bool connected() const;
  // The server's Open_vSwitch schema version (of the last connection).
  std::string schema_version() const;
  // Waits until connected (and the cache synced) or the timeout.
  bool WaitConnected(std::chrono::milliseconds timeout) const;

  // Cache reads: copies taken under the lock, consistent per call.
  Table GetTable(const std::string& table) const;
  std::optional<Row> GetRow(const std::string& table, const std::string& uuid) const;
  // Rows whose `column` equals `value` (compared in normalized notation).
  std::vector<std::pair<std::string, Row>> Find(const std::string& table, const std::string& column,
                                                const nlohmann::json& value) const;

  // Called on the reader thread after each cache change (a resync reports the
  // difference to the previous cache). It must not block or call Transact.
  // After RemoveListener returns, the listener is not called again.
  using Listener = std::function<void(const std::vector<RowChange>&)>;
  uint64_t AddListener(Listener listener);
  void RemoveListener(uint64_t id);

  ClientStats stats() const;
  const std::string& endpoint() const { return options_.endpoint; }

 private:
  class Stream;
  struct Member;
  struct PendingCall;

  // Connects, reads the schema and sets up the monitor; on success the cache
  // is replaced and the stream is live.
  Status ConnectOnce();
  void RunIo();
  // Reads and dispatches messages until the connection breaks or Stop.
  Status ReadLoop(const std::shared_ptr<Stream>& stream);
  Status Dispatch(Stream& stream, const nlohmann::json& message);
  void Disconnect(const Status& why);
  void RunBatches();
  void RunBatch(std::vector<std::shared_ptr<Member>> members);
  StatusOr<nlohmann::json> Call(const std::string& method, const nlohmann::json& params);
  // Requests sent back to back, replies awaited together.
  std::vector<StatusOr<nlohmann::json>> CallMany(
      const std::vector<std::pair<std::string, nlohmann::json>>& requests);
  void Notify(const std::vector<RowChange>& changes);
  int64_t CurCfgLocked() const;

  const ClientOptions options_;
  SocketFd wake_;  // eventfd: wakes the reader's poll on Stop

  mutable std::mutex mu_;
  mutable std::condition_variable state_cv_;  // connection state, cache, replies, members done
  std::condition_variable queue_cv_;
  bool stop_ = false;
  std::shared_ptr<Stream> stream_;  // null while disconnected
  DatabaseSchema schema_;
  bool update2_ = true;  // monitor_cond in use (else plain monitor)
  Cache cache_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<PendingCall>> calls_;
  std::deque<std::shared_ptr<Member>> queue_;
  ClientStats stats_;

  std::mutex listeners_mu_;  // held while listeners run, so removal is final
  uint64_t next_listener_ = 1;
  std::map<uint64_t, Listener> listeners_;

  std::thread io_thread_;
  std::thread batch_thread_;
};

}  // namespace hvagent::ovsdb
