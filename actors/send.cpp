#include "actors/send.hpp"

#include <caf/actor_cast.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>

#include "actors/actor.hpp"

namespace sluice::detail {

send_result deliver(sluice::actor* self, const caf::actor& dest,
                    caf::message msg, send_mode mode,
                    std::chrono::nanoseconds timeout) {
  if (!dest)
    return send_result{send_status::closed, std::move(msg)};
  send_ctx ctx;
  ctx.target = caf::actor_cast<caf::abstract_actor*>(dest);
  ctx.how = mode == send_mode::try_only ? send_ctx::mode::try_only
                                        : send_ctx::mode::normal;
  ctx.timeout = timeout;
  auto& slot = current_send();
  auto* prev = slot;
  slot = &ctx;
  caf::strong_actor_ptr sender;
  caf::execution_unit* eu = nullptr;
  if (self != nullptr) {
    sender = caf::actor_cast<caf::strong_actor_ptr>(self);
    eu = self->context();
  }
  caf::actor_cast<caf::abstract_actor*>(dest)->enqueue(
    caf::make_mailbox_element(std::move(sender), caf::make_message_id(), {},
                              std::move(msg)),
    eu);
  slot = prev;
  if (!ctx.consumed) // not a sluice mailbox: CAF's unbounded mailbox took it
    return send_result{send_status::accepted};
  if (ctx.handback)
    return send_result{ctx.status, ctx.handback->move_content_to_message()};
  return send_result{ctx.status, caf::message{}, ctx.over_capacity};
}

} // namespace sluice::detail
