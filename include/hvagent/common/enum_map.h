// EnumMap: one table of pairs that says which value of one type matches which
// of another (an internal enum and its proto enum, or its spelling), read in
// both directions, so the two conversions cannot drift apart.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <utility>

namespace hvagent {

template <typename First, typename Second, size_t N>
class EnumMap {
 public:
  constexpr explicit EnumMap(const std::array<std::pair<First, Second>, N>& pairs)
      : pairs_(pairs) {}

  // The Second of the first pair holding `first`; nullopt when none does.
  constexpr std::optional<Second> To(const First& first) const {
    for (const auto& [a, b] : pairs_) {
      if (a == first) return b;
    }
    return std::nullopt;
  }

  // The First of the first pair holding `second`; nullopt when none does.
  // A later pair may map an extra Second (e.g. UNSPECIFIED) to a First that
  // an earlier pair already maps the other way.
  constexpr std::optional<First> From(const Second& second) const {
    for (const auto& [a, b] : pairs_) {
      if (b == second) return a;
    }
    return std::nullopt;
  }

 private:
  std::array<std::pair<First, Second>, N> pairs_;
};

// MakeEnumMap<First, Second>({{a, b}, ...}): the table's size from its rows.
template <typename First, typename Second, size_t N>
constexpr EnumMap<First, Second, N> MakeEnumMap(const std::pair<First, Second> (&pairs)[N]) {
  return EnumMap<First, Second, N>(std::to_array(pairs));
}

}  // namespace hvagent
