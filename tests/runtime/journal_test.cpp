// Journal and state-store suite: framing, torn tails, garbage, SIGKILL of a
// writer process mid-stream, durable state store recovery.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "tether/tether.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using namespace tether;
using tether_test::RuntimeTest;

namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/tether-journal-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& n) const { return path_ + "/" + n; }

 private:
  std::string path_;
};

std::string payload(std::uint64_t seq) {
  return "record-" + std::to_string(seq) + "-" + std::string(seq % 97, 'x');
}

}  // namespace

class JournalTest : public RuntimeTest {};

TEST_F(JournalTest, Crc32MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
}

TEST_F(JournalTest, AppendsAndRecovers) {
  TempDir d;
  {
    auto j = journal::open(d.file("j"));
    ASSERT_TRUE(j);
    for (int i = 0; i < 10; ++i) EXPECT_EQ(*(*j)->append(payload(i)), static_cast<std::uint64_t>(i));
  }
  auto j = journal::open(d.file("j"));
  ASSERT_TRUE(j);
  ASSERT_EQ((*j)->recovered().size(), 10u);
  EXPECT_EQ((*j)->recovered()[3], payload(3));
  EXPECT_FALSE((*j)->recovery().torn_tail);
  EXPECT_EQ(*(*j)->append("more"), 10u);
}

TEST_F(JournalTest, TornTailAndGarbageAreDetectedAndDropped) {
  TempDir d;
  const auto path = d.file("j");
  {
    auto j = journal::open(path);
    ASSERT_TRUE(j);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*j)->append(payload(i)));
  }
  const auto good = std::filesystem::file_size(path);
  // 1) truncate mid-record
  {
    auto j = journal::open(path);
    ASSERT_TRUE((*j)->append(payload(5)));
  }
  std::filesystem::resize_file(path, good + 5);
  {
    auto s = journal::scan(path);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->records.size(), 5u);
    EXPECT_TRUE(s->recovery.torn_tail);
    EXPECT_EQ(s->recovery.dropped_bytes, 5u);
  }
  // 2) garbage appended after valid records
  {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << "\x10\x00\x00\x00garbage-garbage-garbage";
  }
  {
    auto j = journal::open(path);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)->recovered().size(), 5u);
    EXPECT_TRUE((*j)->recovery().corrupt || (*j)->recovery().torn_tail);
    EXPECT_GT((*j)->recovery().dropped_bytes, 0u);
    EXPECT_EQ(std::filesystem::file_size(path), good);  // truncated back to the valid prefix
    ASSERT_TRUE((*j)->append("after"));
  }
  // 3) a flipped byte inside the last record's payload
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(good + 9));
    f.put('Z');
  }
  auto s = journal::scan(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->records.size(), 5u);
  EXPECT_TRUE(s->recovery.corrupt);
  for (std::size_t i = 0; i < s->records.size(); ++i) EXPECT_EQ(s->records[i], payload(i));
}

TEST_F(JournalTest, EveryAcknowledgedWriteSurvivesSigkill) {
  TempDir d;
  const auto path = d.file("j");
  const int rounds = tether_test::scaled(3);
  std::uint64_t expected_next = 0;
  for (int round = 0; round < rounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      auto j = journal::open(path);
      if (!j) ::_exit(2);
      for (std::uint64_t seq = (*j)->records();; ++seq) {
        auto r = (*j)->append(payload(seq));
        if (!r) ::_exit(3);
        std::uint64_t acked = *r;
        if (::write(fds[1], &acked, sizeof acked) != sizeof acked) ::_exit(4);
      }
    }
    ::close(fds[1]);
    std::uint64_t last_acked = 0, got = 0, n = 0;
    const std::uint64_t kill_after = 50 + 37 * static_cast<std::uint64_t>(round);
    while (::read(fds[0], &got, sizeof got) == sizeof got) {
      last_acked = got;
      if (++n == kill_after) {
        ::kill(child, SIGKILL);  // mid-stream: the child is in the middle of further appends
      }
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    // Leave a torn tail behind on purpose in one round: half a frame.
    if (round == 0) {
      std::ofstream f(path, std::ios::binary | std::ios::app);
      f << "\x40\x00\x00";
    }
    auto j = journal::open(path);
    ASSERT_TRUE(j);
    const auto& recs = (*j)->recovered();
    ASSERT_GE(recs.size(), last_acked + 1) << "an acknowledged record was lost";
    for (std::uint64_t i = 0; i < recs.size(); ++i) ASSERT_EQ(recs[i], payload(i)) << "garbage at " << i;
    if (round == 0) EXPECT_GT((*j)->recovery().dropped_bytes, 0u);
    EXPECT_GE(recs.size(), expected_next);
    expected_next = recs.size();
  }
}

TEST_F(JournalTest, DurableStateStoreSurvivesReopenAndCompaction) {
  TempDir d;
  const auto path = d.file("state");
  {
    auto s = state_store::open_durable(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->put("sup/a", "step", "1"));
    ASSERT_TRUE((*s)->put("sup/a", "step", "2"));
    ASSERT_TRUE((*s)->put_many("sup/b", {{"x", "1"}, {"y", "2"}}));
    ASSERT_TRUE((*s)->put("sup/b/nested", "z", "3"));
    ASSERT_TRUE((*s)->erase("sup/b", "y"));
    ASSERT_TRUE((*s)->put("sup/c", "gone", "1"));
    ASSERT_TRUE((*s)->erase_scope("sup/c"));
  }
  {
    auto s = state_store::open_durable(path);
    ASSERT_TRUE(s);
    EXPECT_EQ((*s)->get("sup/a", "step"), "2");
    EXPECT_EQ((*s)->get("sup/b", "x"), "1");
    EXPECT_FALSE((*s)->get("sup/b", "y"));
    EXPECT_FALSE((*s)->get("sup/c", "gone"));
    ASSERT_TRUE((*s)->erase_scope("sup/b"));
    EXPECT_FALSE((*s)->get("sup/b/nested", "z"));
    ASSERT_TRUE((*s)->compact());
  }
  auto s = state_store::open_durable(path);
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->get("sup/a", "step"), "2");
  EXPECT_EQ((*s)->scopes(), std::vector<std::string>{"sup/a"});
}

TEST_F(JournalTest, OpenFailsWithIoErrorForABadPath) {
  auto j = journal::open("/nonexistent-dir/x/j");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, errc::io_error);
  EXPECT_TRUE(journal::scan("/nonexistent-file").is(errc::not_found));
}
