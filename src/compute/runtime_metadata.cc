#include "hvagent/compute/runtime_metadata.h"

#include <charconv>
#include <sstream>

#include <pugixml.hpp>

namespace hvagent::compute {

std::string BuildRuntimeMetadataXml(const RuntimeMetadata& runtime) {
  pugi::xml_document doc;
  pugi::xml_node node = doc.append_child("runtime");
  node.append_attribute("started-unix-ms") = std::to_string(runtime.started_unix_ms).c_str();
  std::ostringstream out;
  doc.print(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

StatusOr<RuntimeMetadata> ParseRuntimeMetadataXml(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) {
    return absl::InvalidArgumentError("runtime metadata: not XML");
  }
  const pugi::xml_node node = doc.child("runtime");
  const std::string_view started = node.attribute("started-unix-ms").as_string();
  RuntimeMetadata runtime;
  const auto [end, error] =
      std::from_chars(started.data(), started.data() + started.size(), runtime.started_unix_ms);
  if (!node || started.empty() || error != std::errc() || end != started.data() + started.size() ||
      runtime.started_unix_ms <= 0) {
    return absl::InvalidArgumentError(
        fmt::format("runtime metadata: no valid started-unix-ms in '{}'", xml));
  }
  return runtime;
}

}  // namespace hvagent::compute
