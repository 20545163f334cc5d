#pragma once
// What each server holds, kept as its events say (Herd's own nodes) or as its answers say
// (server processes), and whether every live server holds the newest accepted record of every
// client. A convergence check asks that after every event; it is answered in constant time by
// counting the (server, client) pairs that are off as records and expectations change, where
// comparing every store with every client cost a 2,000-server ring most of its run. Names, clients
// and lines are interned: a record is two small integers. Thread-safe: nodes on a runtime's
// threads report while the runner waits. Pure.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/report/text_interner.hpp"

namespace herd {

// A server's records by client, as the checker compares them.
using StoreRecords = std::map<std::string, std::string, std::less<>>;

class HeldRecords {
 public:
  explicit HeldRecords(const std::vector<std::string>& servers);
  HeldRecords(const HeldRecords&) = delete;
  HeldRecords& operator=(const HeldRecords&) = delete;

  // --- what the servers hold -------------------------------------------------------------------
  // `server` stored `at_line` (an update_stored event): its record for the line's client.
  // `client` is that field when the event carries it; empty, it is read from the line.
  // `place`, when known, is where `server` stands in the list given at construction (a hint,
  // checked against the name): the server is then found without hashing its name.
  // Returns the line's number (line_id()), or TextInterner::none when it names no client or
  // `server` is not in the herd.
  TextInterner::Id stored(std::string_view server, std::string_view at_line,
                          std::string_view client = {},
                          std::uint32_t place = std::numeric_limits<std::uint32_t>::max());
  // Everything `server` holds, as it answered when asked (a black box), and the clients it could
  // not be asked about, with why (client -> reason): those it is not known to hold.
  void replace(std::string_view server, const StoreRecords& records,
               const StoreRecords& unreadable = {});
  // `server` crashed: its memory is gone.
  void forget(std::string_view server);
  void link_up();

  // --- what they should hold -------------------------------------------------------------------
  // Only live servers are held to the expectation (a crashed one holds nothing).
  void set_live(std::string_view server, bool live);
  // The newest accepted record of its client, which every live server should hold.
  void expect(std::string_view at_line);

  // --- questions -------------------------------------------------------------------------------
  [[nodiscard]] bool all_hold_expected() const;
  // The (live server, client) pairs that are off: zero when all hold what they should.
  [[nodiscard]] std::size_t off_count() const;
  [[nodiscard]] std::size_t count(std::string_view server) const;
  // Its record for `client`, if it holds one.
  [[nodiscard]] std::optional<std::string> record(std::string_view server,
                                                  std::string_view client) const;
  [[nodiscard]] StoreRecords records(std::string_view server) const;
  // The clients the last replace() could not read on `server`, with why.
  [[nodiscard]] StoreRecords unreadable(std::string_view server) const;
  [[nodiscard]] std::size_t link_ups() const;
  [[nodiscard]] bool live(std::string_view server) const;
  // Every client some accepted update named: what a black box is asked about.
  [[nodiscard]] std::vector<std::string> expected_clients() const;
  // The newest accepted record of every client, client -> AT line.
  [[nodiscard]] StoreRecords expected_lines() const;

  // Changes so far: a waiter notes it, asks its question, then waits for it to move.
  [[nodiscard]] std::uint64_t changes() const;
  // Waits until changes() is past `seen`, or `until`; whether it moved.
  bool wait_for_change(std::uint64_t seen, std::chrono::steady_clock::time_point until) const;

 private:
  using Id = TextInterner::Id;
  static constexpr Id none = TextInterner::none;
  // Client -> line, indexed by the client's id (ids are dense, and every server comes to hold
  // nearly every client, so a flat array is smaller than a hash map and a lookup is one load).
  struct ByClient {
    std::vector<Id> lines;  // none: no line for that client
    std::size_t count = 0;  // of entries that are not none

    [[nodiscard]] Id get(Id client) const { return client < lines.size() ? lines[client] : none; }
    void set(Id client, Id line);
    void clear() {
      lines.clear();
      count = 0;
    }
    // Calls visit(client, line) for every entry, in client id order.
    template <typename Visit>
    void for_each(Visit&& visit) const {
      for (Id client = 0; client < lines.size(); ++client)
        if (lines[client] != none) visit(client, lines[client]);
    }
  };
  struct Server {
    ByClient lines;
    StoreRecords unreadable;  // client -> why it could not be read
    bool live = true;
  };

  [[nodiscard]] Server* server_named(std::string_view name);
  // The server at `place` if that is `name`'s place, else by its name.
  [[nodiscard]] Server* server_at(std::uint32_t place, std::string_view name);
  [[nodiscard]] const Server* server_named(std::string_view name) const;
  // The pairs of `s` that are off: expected clients it lacks or holds otherwise, and clients it
  // holds that nobody expects.
  [[nodiscard]] std::size_t off_pairs(const Server& s) const;
  void put(Server& s, Id client, Id line);
  void changed();

  mutable std::mutex mutex_;
  mutable std::condition_variable moved_;
  std::uint64_t changes_ = 0;
  std::vector<std::string> server_names_;
  std::unordered_map<std::string_view, std::size_t> server_index_;  // views into server_names_
  std::vector<Server> servers_;
  TextInterner clients_, lines_;
  ByClient expected_;
  std::size_t off_ = 0;  // (live server, client) pairs that are off
  std::size_t link_ups_ = 0;
};

}  // namespace herd
