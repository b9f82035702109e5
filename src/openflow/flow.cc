#include "hvagent/openflow/flow.h"

#include <charconv>

namespace hvagent::openflow {

namespace {

std::string TableAndPriority(const Flow& flow, std::string_view separator) {
  std::string out;
  if (flow.table != 0) out += fmt::format("table={}{}", flow.table, separator);
  out += fmt::format("priority={}", flow.priority);
  if (!flow.match.empty()) out += "," + flow.match;
  return out;
}

// "key=value" at the start of `text`, the value ending at `end`; advances `text`.
bool TakeNumber(std::string_view& text, std::string_view key, std::string_view end, int base,
                uint64_t& value) {
  if (text.substr(0, key.size()) != key) return false;
  text.remove_prefix(key.size());
  const size_t stop = text.find(end);
  if (stop == std::string_view::npos) return false;
  std::string_view digits = text.substr(0, stop);
  if (base == 16) {
    if (digits.substr(0, 2) != "0x") return false;
    digits.remove_prefix(2);
  }
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return false;
  text.remove_prefix(stop + end.size());
  return true;
}

}  // namespace

std::string DumpLine(const Flow& flow) {
  return fmt::format("cookie={:#x}, {} actions={}", flow.cookie, TableAndPriority(flow, ", "),
                     flow.actions);
}

StatusOr<Flow> ParseDumpLine(std::string_view line) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(fmt::format("not a dump-flows line: '{}'", line));
  };
  std::string_view text = line;
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  Flow flow;
  uint64_t number = 0;
  if (!TakeNumber(text, "cookie=", ", ", 16, number)) return bad();
  flow.cookie = number;
  if (text.substr(0, 6) == "table=") {
    if (!TakeNumber(text, "table=", ", ", 10, number) || number > 254) return bad();
    flow.table = static_cast<uint8_t>(number);
  }
  const size_t actions = text.find(" actions=");
  if (actions == std::string_view::npos) return bad();
  flow.actions = std::string(text.substr(actions + 9));
  text = text.substr(0, actions);
  const size_t comma = text.find(',');
  std::string_view priority = text.substr(0, comma);
  if (priority.substr(0, 9) != "priority=") return bad();
  priority.remove_prefix(9);
  const auto [ptr, ec] =
      std::from_chars(priority.data(), priority.data() + priority.size(), number);
  if (ec != std::errc() || ptr != priority.data() + priority.size() || number > 65535) {
    return bad();
  }
  flow.priority = static_cast<uint16_t>(number);
  if (comma != std::string_view::npos) flow.match = std::string(text.substr(comma + 1));
  return flow;
}

std::string AddFlowLine(const Flow& flow) {
  return fmt::format("add cookie={:#x},{} actions={}", flow.cookie, TableAndPriority(flow, ","),
                     flow.actions);
}

std::string DeleteStrictLine(const Flow& flow) {
  return fmt::format("delete_strict cookie={:#x}/-1,{}", flow.cookie, TableAndPriority(flow, ","));
}

}  // namespace hvagent::openflow
