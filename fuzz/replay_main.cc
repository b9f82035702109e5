// Replays a fuzz target's corpus without libFuzzer: every file under the
// directories (or the files) named on the command line goes through
// LLVMFuzzerTestOneInput once. Built with the normal compiler and registered
// in ctest (label unit), so `make test` and the ASan run replay every seed and
// every crasher kept in the tree; `make fuzz` runs the same targets under
// libFuzzer to find new ones.
//
// With `--mutate SECONDS [--seed N]` (HVAGENT_FUZZ_SECONDS in the
// environment overrides SECONDS) it then fuzzes for that long without
// coverage guidance: each input is a corpus file changed by a few random
// mutations (bit flips, bytes inserted, ranges deleted, repeated or spliced
// from another file). Bounded and reproducible (the seed is printed first),
// it runs in `make test` under every build, ASan's too, and longer in `make
// soak`; libFuzzer's guided search stays `make fuzz`.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Run(const std::string& bytes) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// `input` changed by one to four random mutations; `corpus` gives splices.
std::string Mutate(std::string input, const std::vector<std::string>& corpus, std::mt19937_64& r) {
  // Bytes that matter to text formats: delimiters, quotes, escapes, digits.
  static constexpr char kInteresting[] = "{}[]<>\"'\\:,=/&;#\n\0\xff-0123456789.eE+";
  const int rounds = 1 + static_cast<int>(r() % 4);
  for (int i = 0; i < rounds; ++i) {
    const size_t at = input.empty() ? 0 : r() % input.size();
    switch (r() % 6) {
      case 0:
        if (!input.empty()) input[at] = static_cast<char>(input[at] ^ (1U << (r() % 8)));
        break;
      case 1:
        input.insert(input.begin() + static_cast<long>(at),
                     kInteresting[r() % (sizeof(kInteresting) - 1)]);
        break;
      case 2: input.insert(input.begin() + static_cast<long>(at), static_cast<char>(r())); break;
      case 3:
        if (!input.empty()) input.erase(at, 1 + r() % std::min<size_t>(16, input.size() - at));
        break;
      case 4:
        if (!input.empty()) {
          const size_t length = 1 + r() % std::min<size_t>(32, input.size() - at);
          input.insert(at, input.substr(at, length));
        }
        break;
      default: {
        const std::string& other = corpus[r() % corpus.size()];
        if (!other.empty()) {
          const size_t from = r() % other.size();
          input = input.substr(0, at) + other.substr(from);
        }
      }
    }
  }
  return input;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  long mutate_seconds = 0;
  uint64_t seed = std::random_device{}();
  for (int i = 1; i < argc; ++i) {
    const std::string arg(argv[i]);
    if (arg == "--mutate" && i + 1 < argc) {
      mutate_seconds = std::atol(argv[++i]);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      }
    } else {
      inputs.push_back(arg);
    }
  }
  if (const char* seconds = std::getenv("HVAGENT_FUZZ_SECONDS");
      mutate_seconds > 0 && seconds != nullptr && std::atol(seconds) > 0) {
    mutate_seconds = std::atol(seconds);  // make soak's longer run
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "%s: no inputs (give corpus directories or files)\n", argv[0]);
    return 2;
  }
  std::vector<std::string> corpus;
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    Run(corpus.back());
  }
  std::printf("%zu inputs replayed\n", inputs.size());
  if (mutate_seconds <= 0) return 0;
  std::printf("mutating for %ld s, seed %llu (--seed reproduces)\n", mutate_seconds,
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 random(seed);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(mutate_seconds);
  long runs = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 64; ++i, ++runs)
      Run(Mutate(corpus[random() % corpus.size()], corpus, random));
  }
  std::printf("%ld mutated inputs, no crash\n", runs);
  return 0;
}
