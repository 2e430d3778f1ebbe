// CAF semantics a sluice actor keeps: streams, requests whose handler
// throws, request(...).await, skip handlers, and receive timeouts
// (`after(...)`) that sluice's own tokens (drain, park outcome, writable)
// must not re-arm.

#include "support.hpp"

using namespace sluice::test;
using sluice::mailbox;
using sluice::send_status;
using sluice::to_string;

namespace {

// -- streams --------------------------------------------------------------------

/// A CAF 0.17 stream: a sluice source (make_source) through a sluice stage
/// (make_stage) into a sluice sink (make_sink), all with small block
/// mailboxes. Stream traffic uses the control lane, so the bounded lanes do
/// not get in its way.
TEST(stream, source_stage_sink_end_to_end) {
  system_fixture fx;
  constexpr int n = 1000;
  auto sum = std::make_shared<std::atomic<long>>(0);
  auto count = std::make_shared<std::atomic<int>>(0);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  auto sink = sluice::spawn(fx.sys(), mailbox::block(2).named("stream-sink"),
                            [=](sluice::actor* self) -> caf::behavior {
                              return {[=](const caf::stream<int>& in) {
                                return self->make_sink(
                                  in, [](caf::unit_t&) {},
                                  [=](caf::unit_t&, int x) {
                                    *sum += x;
                                    ++*count;
                                  },
                                  [=](caf::unit_t&, const caf::error& err) {
                                    if (!err)
                                      *finished = true;
                                  });
                              }};
                            });
  auto stage = sluice::spawn(fx.sys(), mailbox::block(2).named("stream-stage"),
                             [=](sluice::actor* self) -> caf::behavior {
                               return {[=](const caf::stream<int>& in) {
                                 return self->make_stage(
                                   in, [](caf::unit_t&) {},
                                   [](caf::unit_t&, caf::downstream<int>& out,
                                      int x) { out.push(x * 2); },
                                   [](caf::unit_t&, const caf::error&) {});
                               }};
                             });
  auto source = sluice::spawn(
    fx.sys(), mailbox::block(2).named("stream-source"),
    [=](sluice::actor* self) {
      self->make_source(
        sink * stage, [](int& x) { x = 0; },
        [](int& x, caf::downstream<int>& out, std::size_t hint) {
          for (std::size_t i = 0; i < hint && x < n; ++i)
            out.push(++x);
        },
        [](const int& x) { return x >= n; });
    });
  ASSERT_TRUE(eventually([&] { return finished->load(); }, 30s))
    << "received " << count->load() << " of " << n;
  EXPECT_EQ(count->load(), n);
  EXPECT_EQ(sum->load(), static_cast<long>(n) * (n + 1));
  // stream traffic never entered the bounded lanes
  EXPECT_EQ(stats_of(sink).attempted, 0u);
  EXPECT_EQ(stats_of(stage).attempted, 0u);
  shutdown(fx.sys(), {sink, stage, source});
}

// -- requests -----------------------------------------------------------------

/// A request whose handler throws gets CAF's error (sec::runtime_error); the
/// actor quits with it; a request queued behind it gets
/// request_receiver_down.
TEST(request, handler_that_throws) {
  system_fixture fx;
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(8), [](sluice::actor*) -> caf::behavior {
      return {
        [](ping_atom) -> int { throw std::runtime_error("boom"); },
        [](int x) { return x; },
      };
    });
  caf::scoped_actor self{fx.sys()};
  self->monitor(a);
  auto h1 = self->request(a, 10s, ping_atom::value);
  auto h2 = self->request(a, 10s, 1);
  caf::error e1;
  caf::error e2;
  h1.receive([](int) { ADD_FAILURE() << "no exception?"; },
             [&](caf::error& e) { e1 = e; });
  h2.receive([](int) { ADD_FAILURE() << "handled after quitting?"; },
             [&](caf::error& e) { e2 = e; });
  EXPECT_EQ(e1.category(), caf::atom("system"));
  EXPECT_EQ(e1.code(), static_cast<std::uint8_t>(caf::sec::runtime_error))
    << fx.sys().render(e1);
  EXPECT_EQ(e2, caf::sec::request_receiver_down) << fx.sys().render(e2);
  caf::error reason;
  self->receive([&](caf::down_msg& dm) { reason = dm.reason; },
                caf::after(10s) >> [] { ADD_FAILURE() << "no down"; });
  EXPECT_EQ(reason.code(), static_cast<std::uint8_t>(caf::sec::runtime_error));
  // (the actor thread counts the exit after cleanup sent the down message)
  EXPECT_TRUE(eventually([&] {
    auto s = stats_of(a);
    return s.handler_entries == s.handler_exits;
  }));
  expect_identity(stats_of(a));
}

/// request(...).await: other messages are skipped until the response
/// arrives, then handled in arrival order.
TEST(request, await_keeps_caf_semantics) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto g = std::make_shared<gate>();
  auto server = sluice::spawn(fx.sys(), mailbox::block(8),
                              [=](sluice::actor*) -> caf::behavior {
                                return {[=](ping_atom) {
                                  g->wait();
                                  return 42;
                                }};
                              });
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(8), [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](go_atom) {
          log->add("go");
          self->request(server, caf::infinite, ping_atom::value)
            .await([=](int x) { log->add("response " + std::to_string(x)); });
        },
        [=](int x) { log->add(std::to_string(x)); },
      };
    });
  caf::anon_send(a, go_atom::value);
  ASSERT_TRUE(g->wait_entered());
  for (int i = 1; i <= 3; ++i)
    caf::anon_send(a, i);
  EXPECT_TRUE(eventually([&] { return stats_of(a).depth == 3; }));
  std::this_thread::sleep_for(20ms); // give it a chance to misbehave
  EXPECT_EQ(log->get(), std::vector<std::string>{"go"});
  g->open();
  ASSERT_TRUE(eventually([&] { return log->size() == 5; }));
  std::vector<std::string> want{"go", "response 42", "1", "2", "3"};
  EXPECT_EQ(log->get(), want);
  expect_identity(stats_of(a));
  shutdown(fx.sys(), {a, server});
}

/// await inside a handler of a message drained in a batch: the rest of the
/// batch waits for the response too.
TEST(request, await_in_the_middle_of_a_batch) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto g = std::make_shared<gate>();
  auto server = fx.sys().spawn([=]() -> caf::behavior {
    return {[=](ping_atom) {
      g->wait();
      return 7;
    }};
  });
  sink_probe p;
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(16), [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](hold_atom) { p.hold->wait(); },
        [=](go_atom) {
          log->add("go");
          self->request(server, caf::infinite, ping_atom::value)
            .await([=](int x) { log->add("response " + std::to_string(x)); });
        },
        [=](int x) { log->add(std::to_string(x)); },
      };
    });
  hold(a, p);
  caf::anon_send(a, 1);
  caf::anon_send(a, go_atom::value);
  caf::anon_send(a, 2);
  caf::anon_send(a, 3);
  p.hold->open();
  ASSERT_TRUE(g->wait_entered());
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(log->get(), (std::vector<std::string>{"1", "go"}));
  g->open();
  ASSERT_TRUE(eventually([&] { return log->size() == 5; }));
  std::vector<std::string> want{"1", "go", "response 7", "2", "3"};
  EXPECT_EQ(log->get(), want);
  shutdown(fx.sys(), {a, server});
}

/// While an actor awaits a response nothing else runs, not even the
/// on_writable callback of its endpoint: it runs after the response.
TEST(request, await_defers_writable_callbacks) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto server_gate = std::make_shared<gate>();
  auto server = fx.sys().spawn([=]() -> caf::behavior {
    return {[=](ping_atom) {
      server_gate->wait();
      return 1;
    }};
  });
  sink_probe p;
  auto c = spawn_sink(fx.sys(), mailbox::credit(1, 1), p);
  hold(c, p);
  struct st {
    std::unique_ptr<sluice::endpoint> ep;
  };
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(8),
    [=](sluice::stateful_actor<st>* self) -> caf::behavior {
      self->state.ep
        = std::make_unique<sluice::endpoint>(sluice::connect(self, c));
      return {[=](go_atom) {
        auto& ep = *self->state.ep;
        EXPECT_EQ(ep.send(1, 0).status(), send_status::accepted);
        EXPECT_EQ(ep.send(1, 1).status(), send_status::no_credit);
        ep.on_writable([=] { log->add("writable"); });
        self->request(server, caf::infinite, ping_atom::value).await([=](int) {
          log->add("response");
        });
      }};
    });
  caf::anon_send(a, go_atom::value);
  ASSERT_TRUE(server_gate->wait_entered());
  p.hold->open(); // c consumes (1, 0): the credit returns to `a`
  ASSERT_TRUE(eventually([&] { return p.rec->size() == 1; }));
  std::this_thread::sleep_for(20ms); // give it a chance to misbehave
  EXPECT_EQ(log->size(), 0u);
  server_gate->open();
  ASSERT_TRUE(eventually([&] { return log->size() == 2; }));
  EXPECT_EQ(log->get(), (std::vector<std::string>{"response", "writable"}));
  shutdown(fx.sys(), {a, c, server});
}

// -- skip -----------------------------------------------------------------------

/// Messages a handler skips are retried after the behavior changes, in
/// their original order and before later messages; meanwhile they count as
/// held (depth includes them).
TEST(skip, skipped_messages_are_retried_in_order_after_become) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(16), [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](int) -> caf::skip_t { return caf::skip; },
        [=](go_atom) {
          log->add("go");
          self->become([=](int x) { log->add(std::to_string(x)); });
        },
      };
    });
  for (int i = 1; i <= 3; ++i)
    caf::anon_send(a, i);
  ASSERT_TRUE(eventually([&] { return stats_of(a).held == 3; }))
    << to_string(stats_of(a));
  EXPECT_EQ(stats_of(a).depth, 3u);
  caf::anon_send(a, go_atom::value);
  caf::anon_send(a, 4);
  ASSERT_TRUE(eventually([&] { return log->size() == 5; }));
  std::vector<std::string> want{"go", "1", "2", "3", "4"};
  EXPECT_EQ(log->get(), want);
  auto s = stats_of(a);
  EXPECT_EQ(s.held, 0u);
  EXPECT_EQ(s.depth, 0u);
  expect_identity(s);
  shutdown(fx.sys(), {a});
}

/// A skip-everything default handler, replaced from a control message (a
/// response handler): the skipped messages are retried then.
TEST(skip, default_handler_skip_retried_after_control_message) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto server = fx.sys().spawn(
    []() -> caf::behavior { return {[](ping_atom) { return 1; }}; });
  auto a = sluice::spawn(
    fx.sys(), mailbox::drop_newest(16),
    [=](sluice::actor* self) -> caf::behavior {
      self->set_default_handler(caf::skip);
      return {
        [=](go_atom) {
          log->add("go");
          self->request(server, caf::infinite, ping_atom::value).then([=](int) {
            log->add("response");
            self->become([=](int x) { log->add(std::to_string(x)); });
          });
        },
      };
    });
  caf::anon_send(a, 1);
  caf::anon_send(a, 2);
  ASSERT_TRUE(eventually([&] { return stats_of(a).held == 2; }));
  caf::anon_send(a, go_atom::value);
  ASSERT_TRUE(eventually([&] { return log->size() == 4; }));
  std::vector<std::string> want{"go", "response", "1", "2"};
  EXPECT_EQ(log->get(), want);
  EXPECT_EQ(stats_of(a).held, 0u);
  shutdown(fx.sys(), {a, server});
}

/// A become() from an on_writable callback (user code on the control lane)
/// retries the skipped messages, like a become() from any other handler.
TEST(skip, become_in_a_writable_callback_retries_skipped_messages) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  sink_probe p;
  auto c = spawn_sink(fx.sys(), mailbox::credit(1, 1), p);
  hold(c, p);
  struct st {
    std::unique_ptr<sluice::endpoint> ep;
  };
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(8),
    [=](sluice::stateful_actor<st>* self) -> caf::behavior {
      self->state.ep
        = std::make_unique<sluice::endpoint>(sluice::connect(self, c));
      return {
        [=](int) -> caf::skip_t { return caf::skip; },
        [=](go_atom) {
          auto& ep = *self->state.ep;
          EXPECT_EQ(ep.send(1, 0).status(), send_status::accepted);
          EXPECT_EQ(ep.send(1, 1).status(), send_status::no_credit);
          ep.on_writable([=] {
            // what CAF reports about "the current message" here is the
            // token's: no sender (and never a stale, freed element)
            if (self->current_sender() != nullptr)
              log->add("bad sender");
            log->add("writable");
            self->become([=](int x) { log->add(std::to_string(x)); });
          });
        },
      };
    });
  caf::anon_send(a, go_atom::value);
  caf::anon_send(a, 1);
  caf::anon_send(a, 2);
  ASSERT_TRUE(eventually([&] { return stats_of(a).held == 2; }));
  p.hold->open(); // credit returns: the callback switches the behavior
  ASSERT_TRUE(eventually([&] { return log->size() == 3; }))
    << ::testing::PrintToString(log->get());
  EXPECT_EQ(log->get(), (std::vector<std::string>{"writable", "1", "2"}));
  shutdown(fx.sys(), {a, c});
}

/// Held messages still pending when the actor exits are reported as
/// held_discarded.
TEST(skip, held_messages_discarded_at_exit) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(16), [](sluice::actor*) -> caf::behavior {
      return {[](int) -> caf::skip_t { return caf::skip; }};
    });
  caf::anon_send(a, 1);
  caf::anon_send(a, 2);
  ASSERT_TRUE(eventually([&] { return stats_of(a).held == 2; }));
  exit_and_wait(fx.sys(), a);
  auto s = stats_of(a);
  EXPECT_EQ(s.held_discarded, 2u);
  EXPECT_EQ(dl.count(sluice::loss::held_discarded), 2u);
  expect_identity(s);
}

// -- receive timeouts -----------------------------------------------------------

TEST(timeout, after_fires_on_an_idle_sluice_actor) {
  system_fixture fx;
  auto fired = std::make_shared<std::atomic<int>>(0);
  auto a = sluice::spawn(fx.sys(), mailbox::block(8),
                         [=](sluice::actor*) -> caf::behavior {
                           return {
                             [](int) {},
                             caf::after(50ms) >> [=] { ++*fired; },
                           };
                         });
  EXPECT_TRUE(eventually([&] { return fired->load() >= 1; }));
  shutdown(fx.sys(), {a});
}

/// Every message here is skipped: each arrives in its own drain token that
/// delivers nothing the behavior accepts. If such a token re-armed the
/// receive timeout, a message every 20 ms would keep a 200 ms timeout from
/// ever firing.
TEST(timeout, drain_tokens_that_deliver_nothing_do_not_rearm) {
  system_fixture fx;
  auto fired = std::make_shared<std::atomic<int>>(0);
  auto a = sluice::spawn(fx.sys(), mailbox::drop_newest(4096),
                         [=](sluice::actor*) -> caf::behavior {
                           return {
                             [](int) -> caf::skip_t { return caf::skip; },
                             caf::after(200ms) >> [=] { ++*fired; },
                           };
                         });
  auto deadline = std::chrono::steady_clock::now() + 20s;
  int sent = 0;
  while (fired->load() == 0 && std::chrono::steady_clock::now() < deadline) {
    caf::anon_send(a, sent++);
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(fired->load(), 1)
    << "timeout never fired while " << sent << " skipped messages arrived";
  EXPECT_GE(stats_of(a).delivered, static_cast<std::uint64_t>(sent - 1));
  shutdown(fx.sys(), {a});
}

/// A sluice actor parked at a slow block mailbox receives park-outcome
/// tokens every ~20 ms; its 200 ms receive timeout still fires while it is
/// suspended.
TEST(timeout, park_outcome_tokens_do_not_rearm) {
  system_fixture fx;
  constexpr int k = 100;
  auto slow
    = sluice::spawn(fx.sys(), mailbox::block(1).with_park_limit(k),
                    [](sluice::actor*) -> caf::behavior {
                      return {[](int) { std::this_thread::sleep_for(20ms); }};
                    });
  struct result {
    std::atomic<int> fired{0};
    std::atomic<bool> suspended_at_fire{false};
    std::atomic<int> parked{0};
  };
  auto res = std::make_shared<result>();
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(8), [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](go_atom) {
          for (int i = 0; i < k; ++i)
            if (sluice::send(self, slow, i).status() == send_status::parked)
              ++res->parked;
        },
        caf::after(200ms) >>
          [=] {
            if (res->fired++ == 0)
              res->suspended_at_fire = self->suspended();
          },
      };
    });
  caf::anon_send(a, go_atom::value);
  ASSERT_TRUE(eventually([&] { return res->fired.load() >= 1; }, 30s));
  EXPECT_GT(res->parked.load(), 10);
  EXPECT_TRUE(res->suspended_at_fire.load())
    << "the timeout fired only after the park outcomes stopped";
  shutdown(fx.sys(), {a, slow});
}

/// An actor feeding a slow credit mailbox through an endpoint gets a
/// writable token per returned credit; its 200 ms receive timeout still
/// fires while it is sending.
TEST(timeout, writable_tokens_do_not_rearm) {
  system_fixture fx;
  constexpr int n = 100;
  auto slow = sluice::spawn(
    fx.sys(), mailbox::credit(2, 2), [](sluice::actor*) -> caf::behavior {
      return {[](int) { std::this_thread::sleep_for(20ms); }};
    });
  struct state {
    std::unique_ptr<sluice::endpoint> ep;
    int next = 0;
    caf::message pending;
  };
  struct result {
    std::atomic<int> fired{0};
    std::atomic<int> sent_at_fire{-1};
    std::atomic<int> callbacks{0};
  };
  auto res = std::make_shared<result>();
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(8),
    [=](sluice::stateful_actor<state>* self) -> caf::behavior {
      self->state.ep
        = std::make_unique<sluice::endpoint>(sluice::connect(self, slow));
      auto pump = std::make_shared<std::function<void()>>();
      // the function must not own itself: it sees itself through `weak`
      std::weak_ptr<std::function<void()>> weak = pump;
      *pump = [=] {
        auto& st = self->state;
        while (st.next < n) {
          auto msg = st.pending.empty() ? caf::make_message(st.next)
                                        : std::move(st.pending);
          st.pending = caf::message{};
          auto r = st.ep->send_message(std::move(msg));
          if (r.status() == send_status::no_credit) {
            st.pending = std::move(r.message());
            st.ep->on_writable([=] {
              ++res->callbacks;
              if (auto f = weak.lock())
                (*f)();
            });
            return;
          }
          ++st.next;
        }
      };
      return {
        [=](go_atom) { (*pump)(); },
        // keeps `pump` alive as long as the behavior
        [pump](ping_atom) {},
        caf::after(200ms) >>
          [=] {
            if (res->fired++ == 0)
              res->sent_at_fire = self->state.next;
          },
      };
    });
  caf::anon_send(a, go_atom::value);
  ASSERT_TRUE(eventually([&] { return res->fired.load() >= 1; }, 30s));
  EXPECT_GT(res->callbacks.load(), 2);
  EXPECT_LT(res->sent_at_fire.load(), n)
    << "the timeout fired only after the writable tokens stopped";
  shutdown(fx.sys(), {a, slow});
}

/// A delivered ordinary message does re-arm the timeout (CAF semantics).
TEST(timeout, delivered_messages_rearm) {
  system_fixture fx;
  auto fired = std::make_shared<std::atomic<int>>(0);
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto a = sluice::spawn(fx.sys(), mailbox::block(8),
                         [=](sluice::actor*) -> caf::behavior {
                           return {
                             [=](int) { ++*handled; },
                             caf::after(500ms) >> [=] { ++*fired; },
                           };
                         });
  // one message every 20 ms for 1 s: no timeout in between unless the
  // machine stalls for 500 ms (then the check below is skipped)
  auto start = std::chrono::steady_clock::now();
  auto last = start;
  bool stalled = false;
  for (int i = 0; i < 50; ++i) {
    caf::anon_send(a, i);
    std::this_thread::sleep_for(20ms);
    auto now = std::chrono::steady_clock::now();
    if (now - last > 250ms)
      stalled = true;
    last = now;
  }
  if (!stalled) {
    EXPECT_EQ(fired->load(), 0);
  }
  EXPECT_TRUE(eventually([&] { return fired->load() >= 1; }));
  EXPECT_TRUE(eventually([&] { return handled->load() == 50; }));
  shutdown(fx.sys(), {a});
}

} // namespace

namespace {

/// Skipped messages are held and count against capacity. A drop-oldest
/// mailbox whose actor skips everything must still keep its memory bound.
// -- CAF's duties while draining ---------------------------------------------------

/// Records, for every message it handles, whether CAF's current element is
/// that message; quits on -1 and then, in on_exit, reads the element that
/// made it quit (it must still be alive: a prototype read freed memory here).
class introspective : public sluice::actor {
public:
  struct report {
    std::atomic<int> handled{0};
    std::atomic<int> mismatched{0};
    std::atomic<int> exit_saw{0}; // the int in the element seen in on_exit
    std::atomic<bool> exited{false};
  };

  introspective(caf::actor_config& cfg, std::shared_ptr<report> r,
                std::shared_ptr<gate> g)
    : sluice::actor(cfg), r_(std::move(r)), g_(std::move(g)) {}

  caf::behavior make_behavior() override {
    return {
      [=](hold_atom) { g_->wait(); },
      [=](int x) {
        auto* e = current_mailbox_element();
        if (e == nullptr || !e->content().match_elements<int>()
            || e->content().get_as<int>(0) != x)
          ++r_->mismatched;
        ++r_->handled;
        if (x == -1)
          quit();
      },
    };
  }

  void on_exit() override {
    auto* e = current_mailbox_element();
    if (e != nullptr && e->content().match_elements<int>())
      r_->exit_saw = e->content().get_as<int>(0);
    r_->exited = true;
  }

private:
  std::shared_ptr<report> r_;
  std::shared_ptr<gate> g_;
};

/// 300 messages queued while the actor is held are drained in batches;
/// each handler sees its own message as CAF's current element, and on_exit
/// runs with the element that made the actor quit still alive. Messages
/// behind it are discarded, never handled.
TEST(duties, current_element_per_message_and_alive_in_on_exit) {
  system_fixture fx;
  auto r = std::make_shared<introspective::report>();
  auto g = std::make_shared<gate>();
  auto a = sluice::spawn<introspective>(fx.sys(), mailbox::block(1024), r, g);
  caf::anon_send(a, hold_atom::value);
  ASSERT_TRUE(g->wait_entered());
  for (int i = 0; i < 300; ++i)
    caf::anon_send(a, i + 1);
  caf::anon_send(a, -1);
  for (int i = 0; i < 5; ++i)
    caf::anon_send(a, 1000 + i);
  g->open();
  ASSERT_TRUE(eventually([&] { return r->exited.load(); }));
  EXPECT_EQ(r->handled.load(), 301);
  EXPECT_EQ(r->mismatched.load(), 0);
  EXPECT_EQ(r->exit_saw.load(), -1);
  ASSERT_TRUE(eventually([&] {
    return stats_of(a).discarded_on_exit + stats_of(a).held_discarded == 5;
  }))
    << to_string(stats_of(a));
}

/// Sends to `first` from make_behavior and to `last` from on_exit.
class bookend_sender : public sluice::actor {
public:
  bookend_sender(caf::actor_config& cfg, caf::actor first, caf::actor last)
    : sluice::actor(cfg), first_(std::move(first)), last_(std::move(last)) {}

  caf::behavior make_behavior() override {
    send(first_, 5, 0);
    return {[=](go_atom) { quit(); }};
  }

  void on_exit() override {
    send(last_, 5, 1);
    first_ = last_ = nullptr;
  }

private:
  caf::actor first_;
  caf::actor last_;
};

/// Sends from make_behavior and from on_exit are a sluice actor's (managed)
/// sends: at a full block mailbox that allows no overcommit each parks,
/// where an unmanaged send would be dead-lettered.
TEST(duties, sends_from_make_behavior_and_on_exit_are_managed) {
  // two receivers held in handlers take two workers: the sender needs a third
  system_fixture fx(
    [](sluice::config& cfg) { cfg.set("scheduler.max-threads", 4); });
  auto strict = mailbox::block(1).with_overcommit(0);
  sink_probe pa;
  sink_probe pb;
  auto a = spawn_sink(fx.sys(), strict, pa);
  auto b = spawn_sink(fx.sys(), strict, pb);
  for (auto* x : {&a, &b}) {
    hold(*x, x == &a ? pa : pb);
    fill(*x, 1);
  }
  auto s = sluice::spawn<bookend_sender>(fx.sys(), mailbox::block(8), a, b);
  ASSERT_TRUE(eventually([&] { return stats_of(a).parked_now == 1; }))
    << to_string(stats_of(a));
  caf::anon_send(s, go_atom::value); // waits: the sender is suspended
  pa.hold->open();
  ASSERT_TRUE(eventually([&] { return pa.rec->of(5) == iota(0, 1); }));
  ASSERT_TRUE(eventually([&] { return stats_of(b).parked_now == 1; }))
    << to_string(stats_of(b));
  pb.hold->open();
  ASSERT_TRUE(eventually([&] { return pb.rec->of(5) == iota(1, 2); }));
  for (auto* x : {&a, &b}) {
    auto st = stats_of(*x);
    EXPECT_EQ(st.parked_total, 1u) << to_string(st);
    EXPECT_EQ(st.dead_lettered, 0u) << to_string(st);
    EXPECT_EQ(st.overcommitted, 0u) << to_string(st);
  }
  shutdown(fx.sys(), {a, b});
}

TEST(skip, held_messages_stay_within_the_drop_oldest_bound) {
  system_fixture fx;
  auto a = sluice::spawn(
    fx.sys(), mailbox::drop_oldest(4), [](sluice::actor*) -> caf::behavior {
      return {[](int) -> caf::skip_t { return caf::skip; }};
    });
  // one at a time: each is popped and skipped (held) before the next
  for (int i = 0; i < 20; ++i) {
    caf::anon_send(a, i);
    eventually([&] { return stats_of(a).queued() == 0; }, 1s);
  }
  auto s = stats_of(a);
  EXPECT_LE(s.depth, 4u) << to_string(s);
  EXPECT_LE(s.high_watermark, 4u) << to_string(s);
  shutdown(fx.sys(), {a});
}

TEST(skip, held_messages_stay_within_the_credit_bound) {
  system_fixture fx;
  auto a = sluice::spawn(
    fx.sys(), mailbox::credit(4, 2), [](sluice::actor*) -> caf::behavior {
      return {[](int) -> caf::skip_t { return caf::skip; }};
    });
  auto ep = sluice::connect(sluice::this_thread, a);
  int sent = 0;
  for (int i = 0; i < 50; ++i) {
    auto r = ep.send(i);
    if (r.status() == send_status::no_credit) {
      if (!ep.wait_writable(200ms))
        break;
      r = ep.send_message(std::move(r.message()));
    }
    if (r.taken())
      ++sent;
  }
  auto s = stats_of(a);
  EXPECT_LE(s.depth, 4u) << to_string(s) << " sent=" << sent;
  ep.close();
  shutdown(fx.sys(), {a});
}

} // namespace
