#pragma once

#include "runtime/mailbox.hpp"
