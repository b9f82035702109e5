// How hvctl prints replies: aligned text for people, or stable JSON (protobuf's
// JSON mapping with the proto field names and every field, defaults included).
#pragma once

#include <google/protobuf/message.h>

#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hvagent::cli {

// One column of a list table: a header and a dotted path into each item's
// JSON form ("spec.name", "power_state").
struct Column {
  std::string header;
  std::string path;
};

// The message in protobuf's JSON mapping: proto field names, every field
// (defaults too, so keys never come and go), enums by name, 64-bit integers as
// strings. Order follows the proto.
nlohmann::ordered_json ToJson(const google::protobuf::Message& message);

// "a.b.c" in `json`, or null.
const nlohmann::ordered_json* JsonAt(const nlohmann::ordered_json& json, const std::string& path);

// A scalar as text: strings bare, arrays of scalars comma-joined.
std::string ScalarText(const nlohmann::ordered_json& value);

class Output {
 public:
  Output(std::ostream& out, std::ostream& err, bool json) : out_(out), err_(err), json_(json) {}

  bool json() const { return json_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // An object: pretty JSON, or one aligned "key  value" line per field with
  // dotted keys for nested messages (nics[0].mac).
  void Object(const google::protobuf::Message& message);
  // A list: the whole response as JSON, or a table of `repeated_field`'s items.
  void Table(const google::protobuf::Message& response, const std::string& repeated_field,
             const std::vector<Column>& columns);
  // A call whose reply carries nothing (deletes): `text` in text mode, the
  // (empty) reply as JSON.
  void Done(const google::protobuf::Message& response, const std::string& text);
  // Aligned key/value lines, or JSON (for replies assembled by hvctl itself).
  void Fields(const nlohmann::ordered_json& fields);
  // One streamed item per line: compact JSON (JSON Lines), or `text`.
  void Line(const google::protobuf::Message& message, const std::string& text);

 private:
  std::ostream& out_;
  std::ostream& err_;
  bool json_;
};

// Text rendering of a table: columns padded to their widest cell.
std::string FormatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace hvagent::cli
