// sluice: bounded mailboxes with overflow policies for CAF 0.17 actors.
// One include for users: #include <sluice.hpp>
#pragma once

#include "actors/actor.hpp"
#include "actors/endpoint.hpp"
#include "actors/send.hpp"
#include "actors/spawn.hpp"
#include "runtime/config.hpp"
#include "runtime/errors.hpp"
#include "runtime/mailbox.hpp"
#include "runtime/runtime.hpp"
#include "runtime/send_result.hpp"
#include "runtime/stats.hpp"
