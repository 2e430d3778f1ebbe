// sluice's configuration: the `sluice.*` keys of CAF's config file and
// command line, validated into mailbox defaults and per-mailbox overrides.
//
// CAF 0.17.6 silently drops config-file values of the wrong type and keeps
// unknown keys, so read_settings() re-reads the config file itself and
// rejects anything it cannot use with a config_error naming key and value.
// Keys, syntax and precedence: docs/configuration.md.
#pragma once

#include <cstddef>
#include <map>
#include <stdexcept>
#include <string>

#include <caf/actor_system_config.hpp>

#include "runtime/mailbox.hpp"

namespace sluice {

/// Everything the sluice runtime takes from the configuration.
struct runtime_settings {
  /// Fills what a mailbox leaves unset: every field set, no name.
  mailbox defaults = mailbox::blank();

  /// Per-mailbox overrides by mailbox name: only the fields the config set.
  std::map<std::string, mailbox> overrides;

  /// Ordinary messages a sluice actor handles per drain before yielding.
  std::size_t drain_batch = 0;
};

/// A `sluice.*` setting that is unknown, malformed or out of range. what()
/// starts with the full key and quotes the offending value.
class config_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Registers sluice's options on `cfg` so that `--sluice.*` flags parse and
/// show in --help. Call before cfg.parse(...); calling twice is harmless.
void add_options(caf::actor_system_config& cfg);

/// Reads and validates all sluice settings of `cfg` (after cfg.parse(...)):
/// the raw config file at cfg.config_file_path, then cfg.content (file plus
/// command line plus cfg.set). Throws config_error, e.g.
/// "sluice.default-capacity: expected a positive integer, got '0'".
runtime_settings read_settings(const caf::actor_system_config& cfg);

/// The built-in defaults, used for every key the configuration leaves out.
runtime_settings builtin_settings();

} // namespace sluice
