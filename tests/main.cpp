// doctest's main, with one rule more: a run asked for test cases by name that matched none fails.
// ctest runs each discovered case as --test-case=NAME, and a name CMake cannot carry whole (a ';'
// splits it into two) matched nothing and "passed" without running.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

namespace {

unsigned cases_matched = 0;

struct MatchCounter : doctest::IReporter {
  explicit MatchCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    cases_matched = stats.numTestCasesPassingFilters;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("match_counter", 1, MatchCounter);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  int status = context.run();
  if (context.shouldExit()) return status;
  bool named = false;
  for (int i = 1; i < argc; ++i)
    named = named || std::strncmp(argv[i], "--test-case=", 12) == 0 ||
            std::strncmp(argv[i], "-tc=", 4) == 0;
  if (status == 0 && named && cases_matched == 0) {
    std::fprintf(stderr, "no test case matched the names given: nothing was tested\n");
    return 1;
  }
  return status;
}
