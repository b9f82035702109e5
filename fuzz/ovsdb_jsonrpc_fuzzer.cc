// The OVSDB connection's read side on any bytes: the JSON framer splits the
// stream into values (fed in chunks whose sizes the input's first byte picks,
// as reads would deliver them), and each monitor notification's updates are
// applied to a cache of vswitch.ovsschema, as the client does.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string_view>

#include "hvagent/ovsdb/cache.h"
#include "hvagent/ovsdb/database_schema.h"
#include "hvagent/ovsdb/json_framer.h"

namespace {

using nlohmann::json;

// The schema the agent monitors: Open vSwitch's own (openvswitch-common).
const hvagent::ovsdb::DatabaseSchema& Schema() {
  static const hvagent::ovsdb::DatabaseSchema schema = [] {
    std::ifstream in("/usr/share/openvswitch/vswitch.ovsschema");
    auto parsed = hvagent::ovsdb::DatabaseSchema::Parse(json::parse(in, nullptr, false));
    if (!parsed.ok()) {
      std::fprintf(stderr, "ovsdb_jsonrpc: vswitch.ovsschema: %s\n",
                   parsed.status().ToString().c_str());
      std::abort();
    }
    return *std::move(parsed);
  }();
  return schema;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  hvagent::ovsdb::JsonFramer framer;
  hvagent::ovsdb::Cache cache;
  for (size_t at = 0; at <= stream.size(); at += chunk) {
    framer.Append(stream.substr(at, chunk));
    while (true) {
      auto value = framer.Next();
      if (!value.ok() || !value->has_value()) break;
      const json& message = **value;
      if (!message.is_object()) continue;
      const auto method = message.find("method");
      const auto params = message.find("params");
      if (method == message.end() || params == message.end() || !params->is_array() ||
          params->size() < 2) {
        continue;
      }
      if (*method == "update2") {
        (void)cache.ApplyUpdate2((*params)[1], Schema());
      } else if (*method == "update") {
        (void)cache.ApplyUpdate((*params)[1], Schema());
      }
    }
    if (!framer.Next().ok()) break;  // the stream is not JSON: the connection would close
  }
  return 0;
}
