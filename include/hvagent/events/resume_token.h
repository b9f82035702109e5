// Resume tokens let a reconnecting controller continue a Watch stream where it
// left off. A token names one event of one agent run: "<epoch>.<sequence>".
// Clients treat it as opaque; it is readable only to ease debugging.
//
// The epoch is random per daemon start because sequences restart at 1 with
// every run: without it, a token from a previous run would silently resume at
// an unrelated event of the new one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::events {

// Longest token ParseResumeToken accepts; tokens come from the network.
inline constexpr size_t kMaxResumeTokenLength = 128;

// A fresh epoch for this daemon run: 16 lowercase hex characters.
std::string NewEpoch();

// The token for `sequence` in the run `epoch` (letters and digits only, as
// NewEpoch makes them).
std::string MakeResumeToken(std::string_view epoch, uint64_t sequence);

// The sequence a token names, if it was made in the run `current_epoch`.
// - INVALID_ARGUMENT naming `resume_token` and the violated rule when the
//   token is malformed, including when it is empty: an empty token means
//   "from now", which only the ring can resolve (EventRing::ResolveResumeToken
//   returns its LastSequence()); callers using this function directly must test
//   token.empty() first.
// - FAILED_PRECONDITION when the token is from another run: the events it
//   refers to are gone and the client must resync its whole view.
StatusOr<uint64_t> ParseResumeToken(std::string_view token, std::string_view current_epoch);

}  // namespace hvagent::events
