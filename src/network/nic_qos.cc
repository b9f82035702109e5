#include "hvagent/network/nic_qos.h"

#include <algorithm>
#include <charconv>
#include <limits>

#include "hvagent/common/names.h"
#include "hvagent/ovsdb/datum.h"
#include "owned_rows.h"

namespace hvagent::network {

using nlohmann::json;

namespace {

// OVS's integer columns are signed 64-bit; kbit/s → bit/s must not overflow.
constexpr uint64_t kMaxRateKbps = std::numeric_limits<int64_t>::max() / 1000;
// ingress_policing_rate/burst are at most 2^32-1 kbit/s (schema).
constexpr uint64_t kMaxPolicing = 4294967295ULL;

uint64_t ParseU64(const std::string& text) {
  uint64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

json Int(const json& value) { return value.is_number() ? value : json(0); }

}  // namespace

Status ValidateNicQos(const NicQos& qos) {
  Status status;
  if (qos.ingress_rate_kbps > kMaxPolicing) {
    status.Update(absl::InvalidArgumentError(fmt::format("ingress_rate_kbps: {} must be at most {}",
                                                         qos.ingress_rate_kbps, kMaxPolicing)));
  }
  if (qos.ingress_burst_kb > kMaxPolicing) {
    status.Update(absl::InvalidArgumentError(fmt::format("ingress_burst_kb: {} must be at most {}",
                                                         qos.ingress_burst_kb, kMaxPolicing)));
  }
  if (qos.ingress_burst_kb != 0 && qos.ingress_rate_kbps == 0) {
    status.Update(absl::InvalidArgumentError(
        "ingress_burst_kb: needs ingress_rate_kbps (a burst without a rate polices nothing)"));
  }
  if (qos.egress_rate_kbps > kMaxRateKbps) {
    status.Update(absl::InvalidArgumentError(fmt::format("egress_rate_kbps: {} must be at most {}",
                                                         qos.egress_rate_kbps, kMaxRateKbps)));
  }
  return status;
}

json ApplyNicQosOperations(const std::string& port, const NicQos& qos, EgressShaper shaper,
                           const CurrentQos& current) {
  const auto tags = ovsdb::Map(rows::OwnerTags(kNicQosKind, port));
  json ops = json::array({
      // Optimistic concurrency: nobody changed the port's QoS since we read it.
      ovsdb::WaitRows("Port", ovsdb::WhereEq("name", port), json::array({"qos"}),
                      json::array({{{"qos", current.port_qos}}})),
      {{"op", "update"},
       {"table", "Interface"},
       {"where", ovsdb::WhereEq("name", port)},
       {"row",
        {{"ingress_policing_rate", qos.ingress_rate_kbps},
         {"ingress_policing_burst", qos.ingress_rate_kbps == 0 ? 0 : qos.ingress_burst_kb}}}},
  });
  json port_qos = ovsdb::EmptySet();
  if (qos.egress_rate_kbps != 0) {
    const uint64_t bps = qos.egress_rate_kbps * 1000;
    json qos_row = {{"external_ids", tags}};
    if (shaper == EgressShaper::kLinuxHtb) {
      ops.push_back({{"op", "insert"},
                     {"table", "Queue"},
                     {"uuid-name", "queue"},
                     {"row",
                      {{"other_config", ovsdb::Map({{"max-rate", std::to_string(bps)}})},
                       {"external_ids", tags}}}});
      qos_row["type"] = "linux-htb";
      qos_row["other_config"] = ovsdb::Map({{"max-rate", std::to_string(bps)}});
      qos_row["queues"] =
          json::array({"map", json::array({json::array({0, ovsdb::NamedUuid("queue")})})});
    } else {
      // egress-policer: bytes per second, and a burst of 100 ms (at least two
      // full frames, or nothing large ever passes).
      const uint64_t cir = bps / 8;
      const uint64_t cbs = std::max<uint64_t>(cir / 10, 3000);
      qos_row["type"] = "egress-policer";
      qos_row["other_config"] =
          ovsdb::Map({{"cir", std::to_string(cir)}, {"cbs", std::to_string(cbs)}});
    }
    ops.push_back({{"op", "insert"}, {"table", "QoS"}, {"uuid-name", "qos"}, {"row", qos_row}});
    port_qos = ovsdb::NamedUuid("qos");
  }
  ops.push_back({{"op", "update"},
                 {"table", "Port"},
                 {"where", ovsdb::WhereEq("name", port)},
                 {"row", {{"qos", port_qos}}}});
  // QoS and Queue are root tables: the replaced rows must be deleted by hand.
  if (!current.owned_qos_uuid.empty()) {
    ops.push_back(
        {{"op", "delete"}, {"table", "QoS"}, {"where", ovsdb::WhereUuid(current.owned_qos_uuid)}});
  }
  for (const auto& queue : current.owned_queue_uuids) {
    ops.push_back({{"op", "delete"}, {"table", "Queue"}, {"where", ovsdb::WhereUuid(queue)}});
  }
  return ops;
}

Status NicQosApplier::ApplyNicQos(const std::string& port_name, const NicQos& qos) {
  HVAGENT_RETURN_IF_ERROR(ValidateInterfaceName("port", port_name));
  HVAGENT_RETURN_IF_ERROR(ValidateNicQos(qos));
  HVAGENT_ASSIGN_OR_RETURN(
      const json read,
      ovsdb_.Transact(
          json::array({ovsdb::Select("Port", ovsdb::WhereEq("name", port_name), {"_uuid", "qos"}),
                       ovsdb::Select("Interface", ovsdb::WhereEq("name", port_name), {"type"})})));
  const json& ports = read.at(0).at("rows");
  if (ports.empty() || read.at(1).at("rows").empty()) {
    return absl::NotFoundError(fmt::format("port: no switch port '{}'", port_name));
  }
  // htb is a Linux qdisc: it works on every kernel-backed port, whatever the
  // datapath; DPDK ports have their own egress policer instead.
  const std::string type = read.at(1).at("rows").at(0).at("type").get<std::string>();
  const EgressShaper shaper =
      type.starts_with("dpdk") ? EgressShaper::kEgressPolicer : EgressShaper::kLinuxHtb;
  CurrentQos current{.port_qos = ports.at(0).at("qos")};
  if (const std::string qos_uuid = ovsdb::UuidOf(current.port_qos); !qos_uuid.empty()) {
    HVAGENT_ASSIGN_OR_RETURN(const json found,
                             ovsdb_.Transact(json::array({ovsdb::Select(
                                 "QoS", ovsdb::WhereUuid(qos_uuid), {"external_ids", "queues"})})));
    const json& qos_rows = found.at(0).at("rows");
    if (!qos_rows.empty()) {
      if (!rows::IsOwned(ovsdb::MapOf(qos_rows.at(0).at("external_ids")), kNicQosKind)) {
        return absl::FailedPreconditionError(fmt::format(
            "port: '{}' has a QoS row the agent did not make; it is left alone", port_name));
      }
      current.owned_qos_uuid = qos_uuid;
      const json& queues = qos_rows.at(0).at("queues");  // ["map", [[0, ["uuid", …]], …]]
      for (const auto& pair : queues.at(1))
        current.owned_queue_uuids.push_back(ovsdb::UuidOf(pair[1]));
    }
  }
  return ovsdb_.Transact(ApplyNicQosOperations(port_name, qos, shaper, current)).status();
}

StatusOr<NicQos> NicQosApplier::ReadNicQos(const std::string& port_name) {
  HVAGENT_ASSIGN_OR_RETURN(
      const json read,
      ovsdb_.Transact(
          json::array({ovsdb::Select("Port", ovsdb::WhereEq("name", port_name), {"qos"}),
                       ovsdb::Select("Interface", ovsdb::WhereEq("name", port_name),
                                     {"ingress_policing_rate", "ingress_policing_burst"}),
                       ovsdb::Select("QoS", json::array(), {"_uuid", "type", "other_config"})})));
  if (read.at(0).at("rows").empty() || read.at(1).at("rows").empty()) {
    return absl::NotFoundError(fmt::format("port: no switch port '{}'", port_name));
  }
  const json& iface = read.at(1).at("rows").at(0);
  NicQos out{.ingress_rate_kbps = Int(iface.at("ingress_policing_rate")).get<uint64_t>(),
             .ingress_burst_kb = Int(iface.at("ingress_policing_burst")).get<uint64_t>()};
  const std::string qos_uuid = ovsdb::UuidOf(read.at(0).at("rows").at(0).at("qos"));
  for (const auto& row : read.at(2).at("rows")) {
    if (qos_uuid.empty() || ovsdb::UuidOf(row.at("_uuid")) != qos_uuid) continue;
    const auto config = ovsdb::MapOf(row.at("other_config"));
    if (row.at("type") == "egress-policer") {
      const auto it = config.find("cir");
      if (it != config.end()) out.egress_rate_kbps = ParseU64(it->second) * 8 / 1000;
    } else {
      const auto it = config.find("max-rate");
      if (it != config.end()) out.egress_rate_kbps = ParseU64(it->second) / 1000;
    }
  }
  return out;
}

}  // namespace hvagent::network
