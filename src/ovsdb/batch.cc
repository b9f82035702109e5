#include "hvagent/ovsdb/batch.h"

#include "hvagent/ovsdb/datum.h"
#include "hvagent/ovsdb/error.h"

namespace hvagent::ovsdb {

namespace {

using nlohmann::json;

json RenameValue(const json& value, const std::string& prefix) {
  if (value.is_array()) {
    if (value.size() == 2 && value[0] == "named-uuid" && value[1].is_string()) {
      return json::array({"named-uuid", prefix + value[1].get<std::string>()});
    }
    json out = json::array();
    for (const json& item : value) out.push_back(RenameValue(item, prefix));
    return out;
  }
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, item] : value.items()) out[key] = RenameValue(item, prefix);
    return out;
  }
  return value;
}

// The error of a failed operation (or of the commit), tagged with its RFC 7047
// error string; `prefix` (a member's uuid-name prefix) is taken out of the
// details, so the caller sees its own uuid-names.
Status OperationError(const json& result, const std::string& prefix) {
  const std::string error =
      result["error"].is_string() ? result["error"].get<std::string>() : result["error"].dump();
  std::string details = result.contains("details") && result["details"].is_string()
                            ? result["details"].get<std::string>()
                            : "";
  if (!prefix.empty()) {
    for (size_t at = details.find(prefix); at != std::string::npos; at = details.find(prefix, at)) {
      details.erase(at, prefix.size());
    }
  }
  return TransactionError(error, details);
}

bool IsError(const json& result) { return result.is_object() && result.contains("error"); }

}  // namespace

json RenameUuidNames(const json& operations, const std::string& prefix) {
  json out = json::array();
  for (const json& op : operations) {
    json renamed = RenameValue(op, prefix);
    if (renamed.is_object() && renamed.contains("uuid-name") && renamed["uuid-name"].is_string()) {
      renamed["uuid-name"] = prefix + renamed["uuid-name"].get<std::string>();
    }
    out.push_back(std::move(renamed));
  }
  return out;
}

bool ChangesDatabase(const json& operations) {
  for (const json& op : operations) {
    const std::string name = op.is_object() ? op.value("op", "") : "";
    if (name == "insert" || name == "update" || name == "mutate" || name == "delete") return true;
  }
  return false;
}

bool MustRunAlone(const json& operations) {
  for (const json& op : operations) {
    if (op.is_object() && op.value("op", "") == "wait") {
      const json timeout = op.value("timeout", json());
      if (!timeout.is_number() || timeout.get<double>() != 0) return true;
    }
  }
  return false;
}

json NextCfgBumpOperations() {
  return json::array({{{"op", "mutate"},
                       {"table", "Open_vSwitch"},
                       {"where", json::array()},
                       {"mutations", json::array({json::array({"next_cfg", "+=", 1})})}},
                      Select("Open_vSwitch", json::array(), {"next_cfg"})});
}

Batch Batch::Merge(const std::vector<json>& member_operations, bool bump_next_cfg) {
  Batch batch;
  const bool alone = member_operations.size() == 1;
  for (size_t i = 0; i < member_operations.size(); ++i) {
    const json& ops = member_operations[i];
    batch.members.push_back({batch.operations.size(), ops.size()});
    // A lone member keeps its names: the server's errors then quote them as sent.
    const json renamed = alone ? ops : RenameUuidNames(ops, fmt::format("m{}_", i));
    for (const json& op : renamed) batch.operations.push_back(op);
  }
  if (bump_next_cfg) {
    for (const json& op : NextCfgBumpOperations()) batch.operations.push_back(op);
    batch.bumps_next_cfg = true;
  }
  return batch;
}

StatusOr<BatchReply> BatchReply::Split(const Batch& batch, const json& results) {
  if (!results.is_array()) {
    return absl::InternalError(fmt::format("ovsdb transact answered {}", results.dump()));
  }
  BatchReply reply;
  // An operation's error: the server stops there and commits nothing.
  for (size_t i = 0; i < results.size(); ++i) {
    if (!IsError(results[i])) continue;
    for (size_t m = 0; m < batch.members.size(); ++m) {
      const Batch::Member& member = batch.members[m];
      if (i >= member.first_op && i < member.first_op + member.op_count) reply.guilty = m;
    }
    if (!reply.guilty && batch.members.size() == 1) reply.guilty = 0;
    // The caller sees its own uuid-names in the error, not the batch's renaming.
    reply.error = OperationError(results[i], reply.guilty && batch.members.size() > 1
                                                 ? fmt::format("m{}_", *reply.guilty)
                                                 : "");
    return reply;
  }
  if (results.size() < batch.operations.size()) {
    return absl::InternalError(fmt::format("ovsdb transact answered {} results for {} operations",
                                           results.size(), batch.operations.size()));
  }
  reply.committed = true;
  for (const Batch::Member& member : batch.members) {
    json own = json::array();
    for (size_t i = member.first_op; i < member.first_op + member.op_count; ++i) {
      own.push_back(results[i]);
    }
    reply.member_results.push_back(std::move(own));
  }
  if (batch.bumps_next_cfg) {
    const json& select = results[batch.operations.size() - 1];
    if (select.is_object() && select.contains("rows") && !select["rows"].empty() &&
        select["rows"][0].contains("next_cfg") &&
        select["rows"][0]["next_cfg"].is_number_integer()) {
      reply.next_cfg = select["rows"][0]["next_cfg"].get<int64_t>();
    }
  }
  return reply;
}

}  // namespace hvagent::ovsdb
