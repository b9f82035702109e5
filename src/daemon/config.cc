#include "hvagent/daemon/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <utility>
#include <variant>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <toml++/toml.h>

#include "hvagent/common/logging.h"
#include "hvagent/compute/domain_type_selector.h"
#include "hvagent/compute/host_path_policy.h"
#include "hvagent/network/linux_bridge.h"

namespace hvagent::daemon {

namespace {

// Copies the value at `key` of `table` into `out`, if the key is present:
// `convert` gives the node's value, or nullopt when it is not `rule` (which
// then names the key and the rule in an INVALID_ARGUMENT).
template <typename T, typename Convert>
Status ReadKey(const toml::table& table, std::string_view section, std::string_view key,
               std::string_view rule, Convert convert, T& out) {
  const toml::node* node = table.get(key);
  if (node == nullptr) return absl::OkStatus();
  std::optional<T> value = convert(*node);
  if (!value.has_value()) {
    return absl::InvalidArgumentError(
        fmt::format("config key '{}.{}' must be {}", section, key, rule));
  }
  out = *std::move(value);
  return absl::OkStatus();
}

Status ReadString(const toml::table& table, std::string_view section, std::string_view key,
                  std::string& out) {
  return ReadKey(
      table, section, key, "a string",
      [](const toml::node& node) { return node.value_exact<std::string>(); }, out);
}

Status ReadStringList(const toml::table& table, std::string_view section, std::string_view key,
                      std::vector<std::string>& out) {
  const auto strings = [](const toml::node& node) -> std::optional<std::vector<std::string>> {
    const auto* array = node.as_array();
    if (array == nullptr) return std::nullopt;
    std::vector<std::string> values;
    for (const toml::node& element : *array) {
      std::optional<std::string> value = element.value_exact<std::string>();
      if (!value.has_value()) return std::nullopt;
      values.push_back(*std::move(value));
    }
    return values;
  };
  return ReadKey(table, section, key, "an array of strings", strings, out);
}

Status ReadBool(const toml::table& table, std::string_view section, std::string_view key,
                bool& out) {
  return ReadKey(
      table, section, key, "true or false",
      [](const toml::node& node) { return node.value_exact<bool>(); }, out);
}

Status ReadInt(const toml::table& table, std::string_view section, std::string_view key, int min,
               int max, int& out) {
  const auto in_range = [min, max](const toml::node& node) -> std::optional<int> {
    const std::optional<int64_t> value = node.value_exact<int64_t>();
    if (!value.has_value() || *value < min || *value > max) return std::nullopt;
    return static_cast<int>(*value);
  };
  return ReadKey(table, section, key, fmt::format("an integer from {} to {}", min, max), in_range,
                 out);
}

// Rejects keys of `table` outside `known`, naming the first one found.
Status RejectUnknownKeys(const toml::table& table, std::string_view section,
                         const std::vector<std::string_view>& known) {
  for (const auto& [key, node] : table) {
    if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
      return absl::InvalidArgumentError(
          section.empty() ? fmt::format("unknown config key '{}'", key.str())
                          : fmt::format("unknown config key '{}.{}'", section, key.str()));
    }
    if (section.empty() && !node.is_table()) {
      return absl::InvalidArgumentError(
          fmt::format("config key '{}' must be a table ([{}])", key.str(), key.str()));
    }
  }
  return absl::OkStatus();
}

// An integer key: the Config field and its bounds.
struct IntField {
  int Config::*field;
  int min;
  int max;
};

// Every key the file may hold, in its section, with the Config field it sets:
// the one list both the unknown-key check and the reading go by.
struct ConfigKey {
  std::string_view section;
  std::string_view key;
  std::variant<std::string Config::*, std::vector<std::string> Config::*, bool Config::*, IntField>
      field;
};

const ConfigKey kConfigKeys[] = {
    {"api", "unix_socket", &Config::unix_socket},
    {"api", "tcp_listen", &Config::tcp_listen},
    {"api", "tls_cert", &Config::tls_cert},
    {"api", "tls_key", &Config::tls_key},
    {"api", "tls_client_ca", &Config::tls_client_ca},
    {"api", "read_only_identities", &Config::read_only_identities},
    {"log", "level", &Config::log_level},
    {"libvirt", "uri", &Config::libvirt_uri},
    {"ovsdb", "endpoint", &Config::ovsdb_endpoint},
    {"network", "internal_bridge", &Config::internal_bridge},
    {"network", "internal_cidr", &Config::internal_cidr},
    {"ovs", "datapath_type", &Config::datapath_type},
    {"agent", "state_dir", &Config::state_dir},
    {"agent", "shutdown_grace_seconds", IntField{&Config::shutdown_grace_seconds, 0, 3600}},
    {"agent", "workers", IntField{&Config::workers, 1, 256}},
    {"agent", "port_workers", IntField{&Config::port_workers, 1, 256}},
    {"agent", "max_queued_calls", IntField{&Config::max_queued_calls, 1, 1000000}},
    {"agent", "event_ring_capacity", IntField{&Config::event_ring_capacity, 16, 1000000}},
    {"compute", "domain_type", &Config::domain_type},
    {"compute", "image_roots", &Config::image_roots},
    {"limits", "max_networks", IntField{&Config::max_networks, 1, 1000000}},
    {"metrics", "listen", &Config::metrics_listen},
    {"metrics", "allow_remote", &Config::metrics_allow_remote},
};

// The sections of kConfigKeys, in its order, or the keys of one `section`.
std::vector<std::string_view> KnownNames(std::string_view section = "") {
  std::vector<std::string_view> names;
  for (const ConfigKey& k : kConfigKeys) {
    if (!section.empty() && k.section != section) continue;
    const std::string_view name = section.empty() ? k.section : k.key;
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

// Reads `k` from its section `table` into `config`, if present.
Status ReadConfigKey(const toml::table& table, const ConfigKey& k, Config& config) {
  struct Reader {
    const toml::table& table;
    const ConfigKey& k;
    Config& config;
    Status operator()(std::string Config::*field) const {
      return ReadString(table, k.section, k.key, config.*field);
    }
    Status operator()(std::vector<std::string> Config::*field) const {
      return ReadStringList(table, k.section, k.key, config.*field);
    }
    Status operator()(bool Config::*field) const {
      return ReadBool(table, k.section, k.key, config.*field);
    }
    Status operator()(const IntField& f) const {
      return ReadInt(table, k.section, k.key, f.min, f.max, config.*f.field);
    }
  };
  return std::visit(Reader{table, k, config}, k.field);
}

// HOST:PORT or [IPv6]:PORT with a port of 1–65535 (0–65535 with `allow_zero`).
bool IsHostPort(const std::string& value, bool allow_zero = false) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == value.size()) return false;
  const std::string host = value.substr(0, colon);
  const std::string port = value.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  const int number = std::stoi(port);
  if (number < (allow_zero ? 0 : 1) || number > 65535) return false;
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  return host.find(':') == std::string::npos;  // a bare IPv6 address needs brackets
}

// 127.0.0.0/8, ::1 or "localhost": the host part of a HOST:PORT.
bool IsLoopbackHost(const std::string& host_port) {
  std::string host = host_port.substr(0, host_port.rfind(':'));
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    in6_addr v6{};
    return inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &v6) == 1 &&
           IN6_IS_ADDR_LOOPBACK(&v6);
  }
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

const toml::table* Section(const toml::table& root, std::string_view name) {
  const toml::node* node = root.get(name);
  return node != nullptr ? node->as_table() : nullptr;
}

}  // namespace

StatusOr<Config> ParseConfigToml(std::string_view toml_text, std::string_view origin, Config base) {
  // Debian's toml++ is built with exceptions: parse errors arrive as one.
  toml::table root;
  try {
    root = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& err) {
    return absl::InvalidArgumentError(fmt::format("{}:{}:{}: {}", origin, err.source().begin.line,
                                                  err.source().begin.column, err.description()));
  }
  Config config = std::move(base);
  auto annotate = [&](const Status& s) { return Annotate(s, origin); };

  if (Status s = RejectUnknownKeys(root, "", KnownNames()); !s.ok()) return annotate(s);
  for (const std::string_view section : KnownNames()) {
    if (const toml::table* t = Section(root, section)) {
      if (Status s = RejectUnknownKeys(*t, section, KnownNames(section)); !s.ok()) {
        return annotate(s);
      }
    }
  }

  Status status;
  for (const ConfigKey& k : kConfigKeys) {
    if (const toml::table* t = Section(root, k.section))
      status.Update(ReadConfigKey(*t, k, config));
  }
  if (!status.ok()) {
    return annotate(status);
  }
  if (Status s = ValidateValues(config); !s.ok()) {
    return annotate(s);
  }
  return config;
}

StatusOr<Config> LoadConfigFile(const std::string& path, bool required, Config base) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (required) {
      return absl::NotFoundError(fmt::format("config file '{}' does not exist", path));
    }
    return base;
  }
  std::ifstream in(path);
  if (!in) {
    return absl::PermissionDeniedError(fmt::format("cannot read config file '{}'", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseConfigToml(text.str(), path, std::move(base));
}

Status ValidateValues(const Config& config) {
  if (!ParseLogLevel(config.log_level).ok()) {
    return absl::InvalidArgumentError(
        fmt::format("log.level '{}' is not one of trace, debug, info, warn, error, critical, off",
                    config.log_level));
  }
  if (config.unix_socket.empty() || config.unix_socket.front() != '/') {
    return absl::InvalidArgumentError(
        fmt::format("api.unix_socket '{}' must be an absolute path", config.unix_socket));
  }
  // sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
  if (config.unix_socket.size() > 107) {
    return absl::InvalidArgumentError(
        fmt::format("api.unix_socket is {} characters long; a unix socket path is at most 107",
                    config.unix_socket.size()));
  }
  if (config.libvirt_uri.empty()) {
    return absl::InvalidArgumentError("libvirt.uri must not be empty");
  }
  if (!config.ovsdb_endpoint.starts_with("unix:") && !config.ovsdb_endpoint.starts_with("tcp:")) {
    return absl::InvalidArgumentError(
        fmt::format("ovsdb.endpoint '{}' must start with unix: or tcp:", config.ovsdb_endpoint));
  }
  if (config.datapath_type != "system" && config.datapath_type != "netdev") {
    return absl::InvalidArgumentError(
        fmt::format("ovs.datapath_type '{}' must be system (kernel datapath) or netdev (userspace)",
                    config.datapath_type));
  }
  if (config.internal_bridge.size() > 15 ||
      config.internal_bridge.find_first_not_of(
          "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos) {
    return absl::InvalidArgumentError(
        fmt::format("network.internal_bridge '{}' must be empty or 1–15 characters [A-Za-z0-9_.-]",
                    config.internal_bridge));
  }
  if (auto spec =
          network::ParseLinuxBridgeSpec("virbr0", "network.internal_cidr", config.internal_cidr);
      !spec.ok()) {
    return spec.status();
  }
  if (auto setting = compute::ParseDomainTypeSetting(config.domain_type, "compute.domain_type");
      !setting.ok()) {
    return setting.status();
  }
  if (config.state_dir.empty() || config.state_dir.front() != '/') {
    return absl::InvalidArgumentError(
        fmt::format("agent.state_dir '{}' must be an absolute path", config.state_dir));
  }
  HVAGENT_RETURN_IF_ERROR(compute::ValidateImageRoots("compute.image_roots", config.image_roots));
  return absl::OkStatus();
}

Status ValidateConfig(const Config& config) {
  HVAGENT_RETURN_IF_ERROR(ValidateValues(config));
  if (!config.read_only_identities.empty() && config.tcp_listen.empty()) {
    return absl::InvalidArgumentError(
        "api.read_only_identities needs api.tcp_listen: roles come from client certificates, "
        "and the unix socket has none");
  }
  if (!config.tcp_listen.empty()) {
    // An agent on the network without mutual TLS would let anyone drive the host.
    for (const auto& [key, value] :
         {std::pair{"api.tls_cert", &config.tls_cert}, std::pair{"api.tls_key", &config.tls_key},
          std::pair{"api.tls_client_ca", &config.tls_client_ca}}) {
      if (value->empty()) {
        return absl::InvalidArgumentError(
            fmt::format("{} is required when api.tcp_listen is set (mutual TLS)", key));
      }
    }
    std::set<std::string> seen;
    for (const std::string& identity : config.read_only_identities) {
      if (identity.empty() || !seen.insert(identity).second) {
        return absl::InvalidArgumentError(fmt::format(
            "api.read_only_identities: '{}' is {}; each entry is a client certificate's CN or "
            "subject alternative name, once",
            identity, identity.empty() ? "empty" : "listed twice"));
      }
    }
    if (!IsHostPort(config.tcp_listen)) {
      return absl::InvalidArgumentError(
          fmt::format("api.tcp_listen '{}' must be HOST:PORT (IPv6 as [ADDR]:PORT, port 1–65535)",
                      config.tcp_listen));
    }
  }
  if (!config.metrics_listen.empty()) {
    if (!IsHostPort(config.metrics_listen, /*allow_zero=*/true)) {
      return absl::InvalidArgumentError(fmt::format(
          "metrics.listen '{}' must be HOST:PORT (IPv6 as [ADDR]:PORT, port 0–65535) or empty",
          config.metrics_listen));
    }
    // Plain HTTP without authentication: on the network only when asked for.
    if (!config.metrics_allow_remote && !IsLoopbackHost(config.metrics_listen)) {
      return absl::InvalidArgumentError(fmt::format(
          "metrics.listen '{}' is not a loopback address; set metrics.allow_remote = true to "
          "serve unauthenticated metrics beyond this host",
          config.metrics_listen));
    }
  }
  return absl::OkStatus();
}

}  // namespace hvagent::daemon
