// Messages from another node: two actor systems in one process, each with
// CAF's middleman, talking over a TCP connection on 127.0.0.1. The server
// publishes a sluice sink; the client sends to it through a proxy while the
// sink is held in a handler, so its mailbox fills.
//
// On the server such messages are enqueued by CAF's own threads (the
// multiplexer thread, or a BASP worker on a scheduler thread): unmanaged
// senders. Under block and credit they are admitted over capacity up to the
// overcommit allowance, then dead-lettered, and a request gets
// sluice::sec::dead_lettered back on the client. Under the drop policies
// they are treated like any other message.
//
// BASP delivers the messages of one connection in the order they were sent
// (caf::io::basp::message_queue, also with several workers), so the tests
// know which sequence numbers are admitted and which are lost.

#include <caf/io/all.hpp>

#include "support.hpp"

using namespace sluice::test;
using sluice::loss;
using sluice::mailbox;

namespace {

// Capacity and overcommit of every sink here, and what the client sends.
constexpr int capacity = 4;
constexpr int overcommit = 3;
constexpr int client_id = 7; // first element of every (id, seq) message
// BASP workers for the via_workers cases: more than the messages any test
// has in flight at once, so the multiplexer never runs out of workers.
constexpr std::size_t many_workers = 16;

/// One mailbox and one way the server's middleman delivers remote messages.
struct remote_case {
  std::string name;
  mailbox mbox;
  /// middleman.workers: 0 delivers on the multiplexer thread; with more
  /// BASP workers than messages in flight, every message is deserialized
  /// and delivered by a worker, on one of the scheduler's threads.
  std::size_t workers;
};

void PrintTo(const remote_case& x, std::ostream* out) {
  *out << x.name;
}

std::string case_name(const ::testing::TestParamInfo<remote_case>& info) {
  return info.param.name;
}

std::function<void(sluice::config&)> io_node(std::size_t workers) {
  return [workers](sluice::config& cfg) {
    cfg.load<caf::io::middleman>();
    cfg.set("middleman.workers", workers);
  };
}

/// A recording sink whose hold clause waits on one of several gates, so a
/// test can hold it more than once: records (id, seq), holds its handler on
/// rounds[k] for (hold_atom, k), answers ping with the number of messages it
/// has entered.
caf::behavior remote_sink(sluice::actor*, sink_probe p,
                          std::vector<std::shared_ptr<gate>> rounds) {
  return {
    [=](int sender, int seq) {
      p.entered->fetch_add(1); // seq_cst: test bookkeeping
      p.rec->add(sender, seq);
    },
    [=](hold_atom, int round) {
      p.entered->fetch_add(1);
      rounds.at(static_cast<std::size_t>(round))->wait();
    },
    [=](ping_atom) {
      p.entered->fetch_add(1);
      return p.entered->load();
    },
  };
}

/// Server and client nodes, a sluice sink on the server published on a
/// localhost port, the client's proxy for it and a scoped actor on the
/// client to send from. Destruction never hangs on a failed assertion: the
/// sink's gates are opened and the sink killed first, then the scoped actor,
/// the client and the server go.
class two_nodes {
public:
  explicit two_nodes(std::size_t workers)
    : server_(io_node(workers)), client_(io_node(workers)) {
    server_.rt().set_dead_letter_hook(
      [this, inner = dl.hook()](const sluice::dead_letter& x) {
        {
          std::lock_guard<std::mutex> guard{threads_mtx_};
          hook_threads_.push_back(std::this_thread::get_id());
        }
        inner(x);
      });
    for (int i = 0; i < 2; ++i)
      rounds.push_back(std::make_shared<gate>());
  }

  ~two_nodes() {
    for (auto& g : rounds)
      g->open();
    if (sink)
      caf::anon_send_exit(sink, caf::exit_reason::kill);
    self_.reset();
  }

  two_nodes(const two_nodes&) = delete;
  two_nodes& operator=(const two_nodes&) = delete;

  /// Spawns and publishes the sink, connects the client and checks the
  /// connection with one request the sink answers (its first ordinary
  /// message: attempted 1, delivered 1).
  void start(const mailbox& m) {
    sink = sluice::spawn(server_.sys(), m, remote_sink, p, rounds);
    auto port = caf::io::publish(sink, 0, "127.0.0.1");
    ASSERT_TRUE(port) << "publish on 127.0.0.1 failed: "
                      << server_.sys().render(port.error());
    ASSERT_NE(*port, 0u);
    auto remote = caf::io::remote_actor(client_.sys(), "127.0.0.1", *port);
    ASSERT_TRUE(remote) << "remote_actor(127.0.0.1, " << *port
                        << ") failed: " << client_.sys().render(remote.error());
    proxy = std::move(*remote);
    // a proxy on another node, not the sink itself: the messages really
    // cross the wire
    ASSERT_NE(client_.sys().node(), server_.sys().node());
    ASSERT_EQ(proxy.node(), server_.sys().node());
    ASSERT_EQ(proxy.id(), sink.id());
    ASSERT_NE(caf::actor_cast<caf::abstract_actor*>(proxy),
              caf::actor_cast<caf::abstract_actor*>(sink));
    self_ = std::make_unique<caf::scoped_actor>(client_.sys());
    int answer = -1;
    (*self_)
      ->request(proxy, std::chrono::seconds{10}, ping_atom::value)
      .receive([&](int n) { answer = n; },
               [&](caf::error& e) {
                 ADD_FAILURE() << "ping: " << client_.sys().render(e);
               });
    ASSERT_EQ(answer, 1) << "the sink did not answer the first remote ping";
  }

  /// Holds the sink's handler on rounds[k] (sent from this managed thread
  /// into an empty mailbox) until rounds[k] opens.
  void hold(int k) {
    caf::anon_send(sink, hold_atom::value, k);
    ASSERT_TRUE(rounds.at(static_cast<std::size_t>(k))->wait_entered())
      << "hold handler never ran";
  }

  /// Sends (client_id, first..last-1) from the client's scoped actor.
  void send_range(int first, int last) {
    for (int i = first; i < last; ++i)
      (*self_)->send(proxy, client_id, i);
  }

  /// A request from the client the sink cannot answer while it is held:
  /// the error response sluice sends for it, or CAF's request_timeout.
  caf::error failed_ping() {
    caf::error result;
    (*self_)
      ->request(proxy, std::chrono::seconds{5}, ping_atom::value)
      .receive(
        [&](int n) { ADD_FAILURE() << "a held sink answered ping with " << n; },
        [&](caf::error& e) { result = std::move(e); });
    return result;
  }

  /// The client's scoped actor, as the server sees it: a proxy with the same
  /// actor id on the client's node.
  bool is_client(const caf::strong_actor_ptr& x) {
    return x != nullptr && x->node() == client_.sys().node()
           && x->id() == (*self_)->id();
  }

  /// The threads the dead-letter hook ran on: the threads that enqueued the
  /// lost messages.
  std::vector<std::thread::id> hook_threads() {
    std::lock_guard<std::mutex> guard{threads_mtx_};
    return hook_threads_;
  }

  caf::actor_system& server() {
    return server_.sys();
  }
  caf::actor_system& client() {
    return client_.sys();
  }

  // Members are destroyed in reverse order: the dead-letter hook and what it
  // writes outlive the server's runtime, the scoped actor goes first.
  dead_letters dl;

private:
  std::mutex threads_mtx_;
  std::vector<std::thread::id> hook_threads_;
  system_fixture server_;
  system_fixture client_;

public:
  sink_probe p;
  std::vector<std::shared_ptr<gate>> rounds; // see remote_sink
  caf::actor sink;                           // on the server
  caf::actor proxy;                          // the client's handle to `sink`

private:
  std::unique_ptr<caf::scoped_actor> self_; // on the client
};

/// Each loss was decided (and hooked) on the thread that delivered the
/// remote message: the server's multiplexer thread without BASP workers, a
/// scheduler thread with them. Proves the two transports of the test matrix
/// are different threads (CAF 0.17.6 names both "caf.multiplexer").
void expect_delivery_threads(two_nodes& n, std::size_t num_workers) {
  auto mux = n.server().middleman().backend().thread_id();
  auto ids = n.hook_threads();
  ASSERT_FALSE(ids.empty());
  for (auto& id : ids) {
    EXPECT_NE(id, std::this_thread::get_id());
    if (num_workers == 0)
      EXPECT_EQ(id, mux) << "not enqueued by the multiplexer thread";
    else
      EXPECT_NE(id, mux) << "enqueued by the multiplexer, not a BASP worker";
  }
}

/// Senders never waited: neither blocked nor parked.
void expect_nobody_waited(const sluice::mailbox_stats& s) {
  EXPECT_EQ(s.blocked_total, 0u) << to_string(s);
  EXPECT_EQ(s.parked_total, 0u) << to_string(s);
  EXPECT_EQ(s.timed_out, 0u) << to_string(s);
  EXPECT_EQ(s.would_block, 0u) << to_string(s);
}

// -- block and credit: the unmanaged-sender rule ----------------------------------

class remote_lossless : public ::testing::TestWithParam<remote_case> {};

/// While the sink is held: 4 remote messages fill the capacity, 3 more are
/// admitted over it (overcommitted), the last 5 are dead-lettered with
/// loss::overcommit; a request after them gets sluice::sec::dead_lettered on
/// the client. When the sink resumes it handles exactly the 7 admitted
/// messages, in order.
TEST_P(remote_lossless, overcommit_then_dead_letters) {
  two_nodes n{GetParam().workers};
  ASSERT_NO_FATAL_FAILURE(n.start(GetParam().mbox));
  ASSERT_EQ(config_of(n.sink).capacity, static_cast<std::size_t>(capacity));
  ASSERT_NO_FATAL_FAILURE(n.hold(0));
  const int admitted = capacity + overcommit;
  const int sent = admitted + 5;
  n.send_range(0, sent);
  // ping + hold + the remote messages
  ASSERT_TRUE(eventually([&] {
    return stats_of(n.sink).attempted == static_cast<std::uint64_t>(2 + sent);
  }))
    << to_string(stats_of(n.sink));
  auto s = stats_of(n.sink);
  EXPECT_EQ(s.accepted, static_cast<std::uint64_t>(2 + admitted))
    << to_string(s);
  EXPECT_EQ(s.overcommitted, static_cast<std::uint64_t>(overcommit));
  EXPECT_EQ(s.dead_lettered, 5u);
  EXPECT_EQ(s.dropped_newest, 0u);
  EXPECT_EQ(s.evicted, 0u);
  EXPECT_EQ(s.depth, static_cast<std::uint64_t>(admitted));
  EXPECT_EQ(s.high_watermark, static_cast<std::uint64_t>(admitted));
  expect_nobody_waited(s);
  expect_identity(s);
  // The hook saw the last 5, from the client's actor.
  EXPECT_EQ(n.dl.count(loss::overcommit), 5u);
  EXPECT_EQ(n.dl.size(), 5u);
  EXPECT_EQ(n.dl.seqs(loss::overcommit, client_id), iota(admitted, sent));
  for (auto& x : n.dl.all()) {
    EXPECT_TRUE(n.is_client(x.sender));
    EXPECT_FALSE(x.mid.is_request());
    EXPECT_EQ(x.receiver, n.sink.address());
  }

  // A request beyond the allowance: answered with the error at once (a
  // queued request would only time out: the sink is still held).
  auto err = n.failed_ping();
  ASSERT_TRUE(err);
  EXPECT_EQ(err.category(), sluice::error_category) << n.client().render(err);
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(sluice::sec::dead_lettered))
    << n.client().render(err);
  s = stats_of(n.sink);
  EXPECT_EQ(s.attempted, static_cast<std::uint64_t>(2 + sent + 1));
  EXPECT_EQ(s.dead_lettered, 6u);
  EXPECT_EQ(s.overcommitted, static_cast<std::uint64_t>(overcommit));
  ASSERT_EQ(n.dl.count(loss::overcommit), 6u);
  auto last = n.dl.all().back();
  EXPECT_TRUE(last.mid.is_request());
  EXPECT_TRUE(last.content.match_elements<ping_atom>());
  EXPECT_TRUE(n.is_client(last.sender));
  expect_delivery_threads(n, GetParam().workers);

  // Resumed: exactly the admitted messages, in order; nothing else lost.
  n.rounds[0]->open();
  EXPECT_TRUE(
    eventually([&] { return n.p.rec->of(client_id) == iota(0, admitted); }))
    << "handled: " << n.p.rec->of(client_id).size();
  ASSERT_TRUE(eventually([&] { return stats_of(n.sink).depth == 0; }));
  s = stats_of(n.sink);
  EXPECT_EQ(s.delivered, static_cast<std::uint64_t>(2 + admitted));
  EXPECT_EQ(s.lost(), 6u) << to_string(s);
  expect_identity(s);
  EXPECT_EQ(n.p.entered->load(), 2 + admitted);
}

/// Once the sink has drained, the overcommit allowance is available again:
/// the next burst is admitted and dead-lettered exactly like the first.
TEST_P(remote_lossless, allowance_returns_after_drain) {
  two_nodes n{GetParam().workers};
  ASSERT_NO_FATAL_FAILURE(n.start(GetParam().mbox));
  const int admitted = capacity + overcommit;
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto before = stats_of(n.sink);
    ASSERT_NO_FATAL_FAILURE(n.hold(round));
    n.send_range(round * 100, round * 100 + admitted + 2);
    ASSERT_TRUE(eventually([&] {
      return stats_of(n.sink).attempted
             == before.attempted + 1 + static_cast<std::uint64_t>(admitted + 2);
    }));
    auto s = stats_of(n.sink);
    EXPECT_EQ(s.overcommitted - before.overcommitted,
              static_cast<std::uint64_t>(overcommit));
    EXPECT_EQ(s.dead_lettered - before.dead_lettered, 2u);
    n.rounds[static_cast<std::size_t>(round)]->open();
    ASSERT_TRUE(eventually([&] {
      return n.p.rec->of(client_id).size()
             == static_cast<std::size_t>((round + 1) * admitted);
    }));
    ASSERT_TRUE(eventually([&] { return stats_of(n.sink).depth == 0; }));
  }
  EXPECT_EQ(n.dl.seqs(loss::overcommit, client_id),
            (std::vector<int>{admitted, admitted + 1, 100 + admitted,
                              100 + admitted + 1}));
  expect_delivery_threads(n, GetParam().workers);
  expect_identity(stats_of(n.sink));
}

const auto patience = std::chrono::seconds{60};

INSTANTIATE_TEST_SUITE_P(
  remote, remote_lossless,
  ::testing::Values(
    remote_case{"block_via_multiplexer",
                mailbox::block(capacity)
                  .with_overcommit(overcommit)
                  .with_park_limit(1)
                  .with_block_timeout(patience),
                0},
    remote_case{"block_via_workers",
                mailbox::block(capacity)
                  .with_overcommit(overcommit)
                  .with_park_limit(1)
                  .with_block_timeout(patience),
                many_workers},
    remote_case{"credit_via_multiplexer",
                mailbox::credit(capacity, 2).with_overcommit(overcommit), 0},
    remote_case{"credit_via_workers",
                mailbox::credit(capacity, 2).with_overcommit(overcommit),
                many_workers}),
  case_name);

// -- drop-newest: like any other sender -------------------------------------------

class remote_drop_newest : public ::testing::TestWithParam<remote_case> {};

/// The overcommit allowance plays no part: 4 remote messages are admitted,
/// the next 5 are refused (dropped_newest, loss::dropped), a request gets
/// sluice::sec::mailbox_full, and the sink handles the first 4.
TEST_P(remote_drop_newest, refuses_like_any_sender) {
  two_nodes n{GetParam().workers};
  ASSERT_NO_FATAL_FAILURE(n.start(GetParam().mbox));
  ASSERT_NO_FATAL_FAILURE(n.hold(0));
  const int sent = capacity + 5;
  n.send_range(0, sent);
  ASSERT_TRUE(eventually([&] {
    return stats_of(n.sink).attempted == static_cast<std::uint64_t>(2 + sent);
  }))
    << to_string(stats_of(n.sink));
  auto s = stats_of(n.sink);
  EXPECT_EQ(s.accepted, static_cast<std::uint64_t>(2 + capacity))
    << to_string(s);
  EXPECT_EQ(s.dropped_newest, 5u);
  EXPECT_EQ(s.overcommitted, 0u);
  EXPECT_EQ(s.dead_lettered, 0u);
  EXPECT_EQ(s.depth, static_cast<std::uint64_t>(capacity));
  EXPECT_EQ(s.high_watermark, static_cast<std::uint64_t>(capacity));
  expect_nobody_waited(s);
  expect_identity(s);
  EXPECT_EQ(n.dl.count(loss::dropped), 5u);
  EXPECT_EQ(n.dl.size(), 5u);
  EXPECT_EQ(n.dl.seqs(loss::dropped, client_id), iota(capacity, sent));
  for (auto& x : n.dl.all())
    EXPECT_TRUE(n.is_client(x.sender));

  auto err = n.failed_ping();
  ASSERT_TRUE(err);
  EXPECT_EQ(err.category(), sluice::error_category) << n.client().render(err);
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(sluice::sec::mailbox_full))
    << n.client().render(err);
  s = stats_of(n.sink);
  EXPECT_EQ(s.dropped_newest, 6u);
  EXPECT_EQ(s.overcommitted, 0u);
  EXPECT_EQ(s.dead_lettered, 0u);
  EXPECT_EQ(n.dl.count(loss::dropped), 6u);
  expect_delivery_threads(n, GetParam().workers);

  n.rounds[0]->open();
  EXPECT_TRUE(
    eventually([&] { return n.p.rec->of(client_id) == iota(0, capacity); }))
    << "handled: " << n.p.rec->of(client_id).size();
  ASSERT_TRUE(eventually([&] { return stats_of(n.sink).depth == 0; }));
  s = stats_of(n.sink);
  EXPECT_EQ(s.delivered, static_cast<std::uint64_t>(2 + capacity));
  expect_identity(s);
}

INSTANTIATE_TEST_SUITE_P(
  remote, remote_drop_newest,
  ::testing::Values(
    remote_case{"via_multiplexer",
                mailbox::drop_newest(capacity).with_overcommit(overcommit), 0},
    remote_case{"via_workers",
                mailbox::drop_newest(capacity).with_overcommit(overcommit),
                many_workers}),
  case_name);

} // namespace
