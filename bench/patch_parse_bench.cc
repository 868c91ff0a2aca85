// Patch parsing throughput on a 5 MiB, 500-file hg export, against a baseline
// in the same run: splitting the same buffer into lines (the least any
// line-based parser must do). Prints MB/s for both and the ratio.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>

#include "core/patch.h"
#include "util/strings.h"

namespace {

std::string make_patch(size_t files, size_t target_bytes) {
  std::string out =
      "# HG changeset patch\n# User Bench Mark <bench@example.org>\n# Date 1700000000 0\n"
      "# Node ID 0123456789abcdef0123456789abcdef01234567\n# Parent  89abcdef0123456789abcdef0123456789abcdef\n"
      "Bug 1 - A large refactoring r=reviewer\n\n";
  size_t per_file = target_bytes / files;
  for (size_t f = 0; f < files; ++f) {
    std::string path = "dom/component" + std::to_string(f % 37) + "/file" + std::to_string(f) + ".cpp";
    std::string body;
    int hunk = 0;
    while (body.size() < per_file) {
      int start = 1 + hunk * 40;
      body += "@@ -" + std::to_string(start) + ",7 +" + std::to_string(start) + ",8 @@ void Function" +
              std::to_string(hunk) + "()\n";
      body += "   int context_line_one = compute(value, other_value);\n";
      body += "   int context_line_two = compute(value, other_value);\n";
      body += "   int context_line_three = compute(value, other_value);\n";
      body += "-  return old_implementation(context_line_one, context_line_two);\n";
      body += "+  auto combined = new_implementation(context_line_one, context_line_two);\n";
      body += "+  return combined.value_or(context_line_three);\n";
      body += "   }\n";
      body += "   // trailing context that keeps the hunk honest\n";
      body += "   // and one more line of it\n";
      ++hunk;
    }
    out += "diff --git a/" + path + " b/" + path + "\n--- a/" + path + "\n+++ b/" + path + "\n" + body;
  }
  return out;
}

const std::string& patch_text() {
  static const std::string text = make_patch(500, 5 * 1024 * 1024);
  return text;
}

void BM_ParsePatch(benchmark::State& state) {
  const std::string& text = patch_text();
  for (auto _ : state) {
    auto parsed = autoland::parse_patch(text);
    if (!parsed.ok() || parsed->files.size() != 500) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParsePatch)->Unit(benchmark::kMillisecond)->MinTime(1.0);

void BM_BaselineSplitLines(benchmark::State& state) {
  const std::string& text = patch_text();
  for (auto _ : state) {
    auto lines = autoland::util::split_lines(text);
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_BaselineSplitLines)->Unit(benchmark::kMillisecond)->MinTime(1.0);

// Console output as usual, plus the bytes/s of each run for the summary.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      auto it = r.counters.find("bytes_per_second");
      if (it != r.counters.end()) rates[r.benchmark_name()] = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> rates;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::printf("input: %.2f MiB hg export, 500 files\n", patch_text().size() / (1024.0 * 1024.0));
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  double parse = 0, baseline = 0;
  for (const auto& [name, rate] : reporter.rates) {
    if (name.find("BM_ParsePatch") != std::string::npos) parse = rate;
    if (name.find("BM_BaselineSplitLines") != std::string::npos) baseline = rate;
  }
  if (parse > 0 && baseline > 0) {
    std::printf("patch parsing: %.1f MB/s; baseline line split: %.1f MB/s; parse/baseline = %.2f\n", parse / 1e6,
                baseline / 1e6, parse / baseline);
  }
  return 0;
}
