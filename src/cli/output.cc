#include "hvagent/cli/output.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "fmt/format.h"

namespace hvagent::cli {
namespace {

void Flatten(const nlohmann::ordered_json& value, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* lines) {
  if (value.is_object()) {
    if (value.empty() && !prefix.empty()) lines->emplace_back(prefix, "");
    for (const auto& [key, child] : value.items()) {
      Flatten(child, prefix.empty() ? key : fmt::format("{}.{}", prefix, key), lines);
    }
    return;
  }
  const bool nested_array =
      value.is_array() && std::any_of(value.begin(), value.end(),
                                      [](const auto& v) { return v.is_object() || v.is_array(); });
  if (nested_array) {
    for (size_t i = 0; i < value.size(); ++i) {
      Flatten(value[i], prefix + "[" + std::to_string(i) + "]", lines);
    }
    return;
  }
  lines->emplace_back(prefix, ScalarText(value));
}

}  // namespace

nlohmann::ordered_json ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) {
    return nlohmann::ordered_json::object();
  }
  return nlohmann::ordered_json::parse(text);
}

const nlohmann::ordered_json* JsonAt(const nlohmann::ordered_json& json, const std::string& path) {
  const nlohmann::ordered_json* at = &json;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return at;
}

std::string ScalarText(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value) out += (out.empty() ? "" : ",") + ScalarText(item);
    return out;
  }
  return value.dump();
}

std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  widths.reserve(headers.size());
  for (const std::string& h : headers) widths.push_back(h.size());
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  auto add_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line += std::string(widths[i] - cells[i].size() + 2, ' ');
    }
    out += line + "\n";
  };
  add_row(headers);
  for (const auto& row : rows) add_row(row);
  return out;
}

void Output::Object(const google::protobuf::Message& message) { Fields(ToJson(message)); }

void Output::Fields(const nlohmann::ordered_json& fields) {
  if (json_) {
    out_ << fields.dump(2) << "\n";
    return;
  }
  std::vector<std::pair<std::string, std::string>> lines;
  Flatten(fields, "", &lines);
  size_t width = 0;
  for (const auto& [key, value] : lines) width = std::max(width, key.size());
  for (const auto& [key, value] : lines) {
    out_ << key << std::string(width - key.size() + 2, ' ') << value << "\n";
  }
}

void Output::Table(const google::protobuf::Message& response, const std::string& repeated_field,
                   const std::vector<Column>& columns) {
  const nlohmann::ordered_json json = ToJson(response);
  if (json_) {
    out_ << json.dump(2) << "\n";
    return;
  }
  std::vector<std::string> headers;
  headers.reserve(columns.size());
  for (const Column& c : columns) headers.push_back(c.header);
  std::vector<std::vector<std::string>> rows;
  if (const auto* items = JsonAt(json, repeated_field); items != nullptr && items->is_array()) {
    for (const auto& item : *items) {
      std::vector<std::string> row;
      for (const Column& c : columns) {
        const nlohmann::ordered_json* cell = JsonAt(item, c.path);
        row.push_back(cell == nullptr ? "" : ScalarText(*cell));
      }
      rows.push_back(std::move(row));
    }
  }
  out_ << FormatTable(headers, rows);
}

void Output::Done(const google::protobuf::Message& response, const std::string& text) {
  if (json_) {
    out_ << ToJson(response).dump(2) << "\n";
  } else {
    out_ << text << "\n";
  }
}

void Output::Line(const google::protobuf::Message& message, const std::string& text) {
  if (json_) {
    out_ << ToJson(message).dump() << "\n";
  } else {
    out_ << text << "\n";
  }
  out_.flush();
}

}  // namespace hvagent::cli
