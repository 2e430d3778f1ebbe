#include "runtime/config.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include <caf/config_option_adder.hpp>
#include <caf/config_option_set.hpp>
#include <caf/config_value.hpp>
#include <caf/error.hpp>
#include <caf/pec.hpp>
#include <caf/settings.hpp>
#include <caf/timespan.hpp>

namespace sluice {

namespace {

// -- built-in defaults --------------------------------------------------------

constexpr std::size_t builtin_capacity = 1024;
constexpr std::size_t builtin_window = 64;
constexpr std::size_t builtin_park_limit = 64;
constexpr std::size_t builtin_overcommit = 64;
constexpr std::size_t builtin_drain_batch = 64;
constexpr mailbox::duration builtin_block_timeout = std::chrono::seconds{5};

// -- keys ---------------------------------------------------------------------

/// The mailbox fields a key can set.
enum class field {
  policy,
  capacity,
  window,
  block_timeout,
  park_limit,
  overcommit,
  credit_mode,
};

struct key_info {
  std::string_view name;
  field target;
};

/// Keys directly under `sluice` that set a default mailbox field.
constexpr key_info default_keys[] = {
  {"default-policy", field::policy},   {"default-capacity", field::capacity},
  {"credit-window", field::window},    {"block-timeout", field::block_timeout},
  {"park-limit", field::park_limit},   {"overcommit", field::overcommit},
  {"credit-mode", field::credit_mode},
};

/// Keys inside one per-mailbox override.
constexpr key_info override_keys[] = {
  {"policy", field::policy},           {"capacity", field::capacity},
  {"credit-window", field::window},    {"block-timeout", field::block_timeout},
  {"park-limit", field::park_limit},   {"overcommit", field::overcommit},
  {"credit-mode", field::credit_mode},
};

constexpr std::string_view drain_batch_key = "drain-batch";
constexpr std::string_view mailboxes_key = "mailboxes"; // map form, file only
constexpr std::string_view overrides_key = "overrides"; // list form

template <std::size_t N>
std::optional<field> find_key(const key_info (&keys)[N], std::string_view x) {
  for (auto& k : keys)
    if (k.name == x)
      return k.target;
  return std::nullopt;
}

template <std::size_t N>
std::string key_list(const key_info (&keys)[N]) {
  std::string result;
  for (auto& k : keys) {
    if (!result.empty())
      result += ", ";
    result += k.name;
  }
  return result;
}

std::string known_top_level_keys() {
  return key_list(default_keys) + ", " + std::string{drain_batch_key} + ", "
         + std::string{mailboxes_key} + ", " + std::string{overrides_key};
}

// -- rendering values for messages --------------------------------------------

std::string render_duration(caf::timespan x) {
  // CAF 0.17.6 prints negative timespans as "0d"; print what the user wrote.
  using namespace std::chrono;
  auto n = x.count();
  if (n == 0)
    return "0s";
  struct unit {
    long long ns;
    const char* suffix;
  };
  constexpr unit units[] = {{3'600'000'000'000LL, "h"},
                            {60'000'000'000LL, "min"},
                            {1'000'000'000LL, "s"},
                            {1'000'000LL, "ms"},
                            {1'000LL, "us"},
                            {1LL, "ns"}};
  for (auto& u : units)
    if (n % u.ns == 0)
      return std::to_string(n / u.ns) + u.suffix;
  return std::to_string(n) + "ns";
}

/// A value as a user would write it (without the quotes of a string).
std::string render(const caf::config_value& x) {
  if (auto str = caf::get_if<std::string>(&x))
    return *str;
  if (auto i = caf::get_if<caf::config_value::integer>(&x))
    return std::to_string(*i);
  if (auto t = caf::get_if<caf::timespan>(&x))
    return render_duration(*t);
  if (auto r = caf::get_if<double>(&x)) {
    std::ostringstream out;
    out << *r;
    return out.str();
  }
  return caf::to_string(x);
}

std::string trim(std::string_view x) {
  auto is_space
    = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!x.empty() && is_space(x.front()))
    x.remove_prefix(1);
  while (!x.empty() && is_space(x.back()))
    x.remove_suffix(1);
  return std::string{x};
}

// -- outline of a raw config file ---------------------------------------------

// A tolerant scan of CAF's config file syntax that records where each key is
// and how its value was written. CAF's own parser supplies the values; the
// outline supplies line numbers and raw text for messages, finds the key at
// a syntax error, and sees what CAF's parser silently loses (duplicate keys,
// [sluice.x.y] sub-sections).

struct ini_entry {
  std::string path; ///< e.g. "sluice.mailboxes.stage.capacity"
  int line = 0;
  int column = 0;
  std::string text; ///< a scalar value as written, or "{...}" or "[...]"
  bool in_list = false;
};

struct ini_section {
  std::string name;
  int line = 0;
};

struct ini_outline {
  std::vector<ini_entry> entries;
  std::vector<ini_section> sections;

  /// The first entry for `path`, if any.
  const ini_entry* find(const std::string& path) const {
    for (auto& e : entries)
      if (e.path == path)
        return &e;
    return nullptr;
  }

  /// The last entry whose key starts at or before (line, column).
  const ini_entry* before(int line, int column) const {
    const ini_entry* result = nullptr;
    for (auto& e : entries)
      if (e.line < line || (e.line == line && e.column <= column))
        result = &e;
    return result;
  }
};

class ini_scanner {
public:
  explicit ini_scanner(std::string_view text) : text_(text) {
    // nop
  }

  ini_outline run() {
    std::string section; // "" for the global section
    while (!at_end()) {
      skip_blanks_and_commas();
      if (at_end())
        break;
      auto c = peek();
      if (c == ';') {
        skip_line();
      } else if (frames_.empty() && c == '[') {
        section = read_section_header();
      } else if (!frames_.empty() && frames_.back().is_list) {
        if (c == ']') {
          frames_.pop_back();
          advance();
        } else {
          read_value(frames_.back().prefix);
        }
      } else if (!frames_.empty() && c == '}') {
        frames_.pop_back();
        advance();
      } else if (is_key_char(c)) {
        read_key_value(frames_.empty() ? section : frames_.back().prefix);
      } else {
        advance(); // not valid syntax; CAF's parser reports it
      }
    }
    return std::move(result_);
  }

private:
  struct frame {
    std::string prefix;
    bool is_list;
  };

  static bool is_key_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  }

  bool at_end() const {
    return pos_ >= text_.size();
  }

  char peek() const {
    return at_end() ? '\0' : text_[pos_];
  }

  void advance() {
    if (text_[pos_++] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
  }

  void skip_blanks_and_commas() {
    while (
      !at_end()
      && (std::isspace(static_cast<unsigned char>(peek())) || peek() == ','))
      advance();
  }

  void skip_spaces() {
    while (!at_end() && (peek() == ' ' || peek() == '\t'))
      advance();
  }

  void skip_line() {
    while (!at_end() && peek() != '\n')
      advance();
  }

  std::string read_section_header() {
    ini_section s;
    s.line = line_;
    advance(); // '['
    std::string name;
    while (!at_end() && peek() != ']' && peek() != '\n') {
      name += peek();
      advance();
    }
    if (peek() == ']')
      advance();
    s.name = trim(name);
    result_.sections.push_back(s);
    return s.name == "global" ? std::string{} : s.name;
  }

  void read_key_value(const std::string& prefix) {
    ini_entry e;
    e.line = line_;
    e.column = column_;
    std::string key;
    while (!at_end() && is_key_char(peek())) {
      key += peek();
      advance();
    }
    e.path = prefix.empty() ? key : prefix + "." + key;
    e.in_list = std::any_of(frames_.begin(), frames_.end(),
                            [](const frame& f) { return f.is_list; });
    skip_spaces();
    if (peek() == '=') {
      advance();
      skip_spaces();
    }
    auto index = result_.entries.size();
    result_.entries.push_back(std::move(e));
    if (peek() == '{' || peek() == '[')
      result_.entries[index].text = peek() == '{' ? "{...}" : "[...]";
    if (auto scalar = read_value(result_.entries[index].path))
      result_.entries[index].text = std::move(*scalar);
  }

  /// Reads one value; returns its text if it is a scalar.
  std::optional<std::string> read_value(const std::string& path) {
    auto start = pos_;
    switch (peek()) {
      case '{':
        frames_.push_back({path, false});
        advance();
        return std::nullopt;
      case '[':
        frames_.push_back({path, true});
        advance();
        return std::nullopt;
      case '"':
      case '\'': {
        auto quote = peek();
        advance();
        while (!at_end() && peek() != quote && peek() != '\n') {
          if (peek() == '\\')
            advance();
          if (!at_end())
            advance();
        }
        if (peek() == quote)
          advance();
        break;
      }
      default:
        while (!at_end()
               && std::string_view{",;}]\n"}.find(peek())
                    == std::string_view::npos)
          advance();
    }
    return trim(text_.substr(start, pos_ - start));
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::vector<frame> frames_;
  ini_outline result_;
};

bool is_sluice_path(std::string_view path) {
  return path == "sluice" || path.substr(0, 7) == "sluice.";
}

// -- reading a settings dictionary --------------------------------------------

/// One value to validate, with what a message needs to point at it.
struct item {
  std::string key;                ///< full key, e.g. "sluice.default-capacity"
  const caf::config_value& value; ///< as CAF parsed it
  std::string raw;                ///< as the user wrote it
  std::string where;              ///< "file:line" or empty
};

[[noreturn]] void fail(const item& x, const std::string& problem) {
  auto msg = x.key + ": " + problem + ", got '" + x.raw + "'";
  if (!x.where.empty())
    msg += " (" + x.where + ")";
  throw config_error(msg);
}

std::size_t read_count(const item& x, bool allow_zero) {
  auto expected
    = allow_zero ? "expected an integer >= 0" : "expected a positive integer";
  auto i = caf::get_if<caf::config_value::integer>(&x.value);
  if (i == nullptr || *i < 0 || (*i == 0 && !allow_zero))
    fail(x, expected);
  return static_cast<std::size_t>(*i);
}

mailbox::duration read_duration(const item& x) {
  auto t = caf::get_if<caf::timespan>(&x.value);
  if (t == nullptr || t->count() <= 0)
    fail(x, "expected a positive duration such as 500ms, 5s or 1min");
  return std::chrono::duration_cast<mailbox::duration>(*t);
}

sluice::policy read_policy(const item& x) {
  auto str = caf::get_if<std::string>(&x.value);
  if (str != nullptr)
    if (auto p = parse_policy(*str))
      return *p;
  fail(x, "expected block, drop-newest, drop-oldest or credit");
}

sluice::credit_mode read_credit_mode(const item& x) {
  auto str = caf::get_if<std::string>(&x.value);
  if (str != nullptr) {
    for (auto m : {credit_mode::automatic, credit_mode::manual})
      if (to_string(m) == *str)
        return m;
  }
  fail(x, "expected automatic or manual");
}

/// Validates `x` and stores it in field `f` of `m`.
void set_field(mailbox& m, field f, const item& x) {
  try {
    switch (f) {
      case field::policy:
        m.set_policy(read_policy(x));
        return;
      case field::capacity:
        m.set_capacity(read_count(x, false));
        return;
      case field::window:
        m.set_window(read_count(x, false));
        return;
      case field::block_timeout:
        m.set_block_timeout(read_duration(x));
        return;
      case field::park_limit:
        m.set_park_limit(read_count(x, false));
        return;
      case field::overcommit:
        m.set_overcommit(read_count(x, true));
        return;
      case field::credit_mode:
        m.set_credit_mode(read_credit_mode(x));
        return;
    }
  } catch (const invalid_mailbox& e) {
    // For example a capacity above the maximum mailbox.cpp accepts.
    std::string_view what = e.what();
    constexpr std::string_view prefix = "sluice mailbox: ";
    if (what.substr(0, prefix.size()) == prefix)
      what.remove_prefix(prefix.size());
    fail(x, std::string{what});
  }
}

/// Where a field of a partial setting came from, for cross-field checks.
struct field_origin {
  std::string key;
  std::string raw;
  std::string where;
};

/// What one settings dictionary sets, before built-in defaults fill the rest.
struct partial_settings {
  mailbox defaults = mailbox::blank();
  std::map<field, field_origin> default_origins;
  std::optional<std::size_t> drain_batch;
  std::map<std::string, mailbox> overrides;
  std::map<std::string, std::map<field, field_origin>> override_origins;
};

/// Reads the `sluice` part of a settings dictionary (a raw config file or
/// cfg.content). `outline` and `file` are set when reading a raw file.
class settings_reader {
public:
  settings_reader(const ini_outline* outline, std::string file)
    : outline_(outline), file_(std::move(file)) {
    // nop
  }

  partial_settings read(const caf::settings& root) {
    partial_settings result;
    auto i = root.find("sluice");
    if (i == root.end())
      return result;
    auto dict = caf::get_if<caf::settings>(&i->second);
    if (dict == nullptr)
      fail(make_item("sluice", i->second), "expected a section or a map");
    // Read the map form first: list entries override it field by field.
    if (auto j = dict->find(mailboxes_key); j != dict->end())
      read_mailboxes(result, j->second);
    for (auto& [name, value] : *dict) {
      auto key = "sluice." + name;
      if (auto f = find_key(default_keys, name)) {
        auto x = make_item(key, value);
        set_field(result.defaults, *f, x);
        result.default_origins[*f] = {x.key, x.raw, x.where};
      } else if (name == drain_batch_key) {
        result.drain_batch = read_count(make_item(key, value), false);
      } else if (name == overrides_key) {
        read_overrides(result, make_item(key, value));
      } else if (name != mailboxes_key) {
        fail(make_item(key, value),
             "unknown key (known keys: " + known_top_level_keys() + ")");
      }
    }
    return result;
  }

private:
  item make_item(std::string key, const caf::config_value& value) const {
    item x{std::move(key), value, {}, {}};
    const ini_entry* e = outline_ ? outline_->find(x.key) : nullptr;
    x.raw = e ? e->text : render(value);
    if (e)
      x.where = file_ + ":" + std::to_string(e->line);
    return x;
  }

  // `mailboxes = { NAME = { KEY = VALUE, ... }, ... }` (config file only).
  void read_mailboxes(partial_settings& out, const caf::config_value& value) {
    auto top = make_item("sluice.mailboxes", value);
    auto dict = caf::get_if<caf::settings>(&value);
    if (dict == nullptr)
      fail(top, "expected a map such as { stage = { capacity = 64 } }");
    for (auto& [name, fields] : *dict) {
      auto prefix = top.key + "." + name;
      auto fields_dict = caf::get_if<caf::settings>(&fields);
      if (fields_dict == nullptr)
        fail(make_item(prefix, fields),
             "expected a map of mailbox settings such as { capacity = 64 }");
      auto& m = out.overrides.emplace(name, mailbox::blank()).first->second;
      for (auto& [key, field_value] : *fields_dict) {
        auto x = make_item(prefix + "." + key, field_value);
        auto f = find_key(override_keys, key);
        if (!f)
          fail(x, "unknown key (known keys: " + key_list(override_keys) + ")");
        set_field(m, *f, x);
        out.override_origins[name][*f] = {x.key, x.raw, x.where};
      }
    }
  }

  // `overrides = ["NAME.KEY:VALUE", ...]` (config file and command line).
  void read_overrides(partial_settings& out, const item& top) {
    auto list = caf::get_if<caf::config_value::list>(&top.value);
    if (list == nullptr)
      fail(top, "expected a list such as [\"stage.capacity:64\"]");
    std::set<std::pair<std::string, field>> seen;
    std::map<std::string, mailbox> from_list;
    for (auto& element : *list) {
      auto str = caf::get_if<std::string>(&element);
      if (str == nullptr)
        fail(item{top.key, element, render(element), top.where},
             "expected each entry to be a string NAME.KEY:VALUE");
      auto label = top.key + " entry '" + *str + "'";
      item whole{label, element, *str, top.where};
      auto sep = str->find_first_of(":=");
      auto lhs = trim(std::string_view{*str}.substr(0, sep));
      auto dot = lhs.rfind('.');
      if (sep == std::string::npos || dot == std::string::npos || dot == 0
          || dot + 1 == lhs.size())
        fail(whole, "expected NAME.KEY:VALUE such as stage.capacity:64");
      auto name = lhs.substr(0, dot);
      auto key = lhs.substr(dot + 1);
      auto f = find_key(override_keys, key);
      if (!f)
        fail(whole, "unknown key '" + key
                      + "' (known keys: " + key_list(override_keys) + ")");
      if (!seen.emplace(name, *f).second)
        fail(whole, "sets " + name + "." + key + " a second time");
      auto raw = trim(std::string_view{*str}.substr(sep + 1));
      // Same value syntax as the config file; unparsable text stays a string
      // and fails the type check below with the raw text in the message.
      caf::config_value value{raw};
      if (!raw.empty())
        if (auto parsed = caf::config_value::parse(raw))
          value = std::move(*parsed);
      item x{label, value, raw, top.where};
      auto& m = from_list.emplace(name, mailbox::blank()).first->second;
      set_field(m, *f, x);
      out.override_origins[name][*f] = {x.key, x.raw, x.where};
    }
    for (auto& [name, m] : from_list) {
      auto& target
        = out.overrides.emplace(name, mailbox::blank()).first->second;
      target = m.merged_over(target);
    }
  }

  const ini_outline* outline_;
  std::string file_;
};

// -- cross-field checks and built-in defaults ---------------------------------

[[noreturn]] void fail_window(const field_origin& window, std::size_t capacity,
                              const std::string& capacity_source) {
  auto msg = window.key + ": expected a credit window no larger than the "
             + "capacity " + std::to_string(capacity) + " (" + capacity_source
             + "), got '" + window.raw + "'";
  if (!window.where.empty())
    msg += " (" + window.where + ")";
  throw config_error(msg);
}

runtime_settings finish(const partial_settings& in) {
  auto result = builtin_settings();
  auto& d = result.defaults;
  auto explicit_window = in.defaults.window();
  d = in.defaults.merged_over(d);
  if (explicit_window) {
    if (*explicit_window > *d.capacity()) {
      auto i = in.default_origins.find(field::capacity);
      fail_window(in.default_origins.at(field::window), *d.capacity(),
                  i != in.default_origins.end()
                    ? i->second.key
                    : std::string{"built-in sluice.default-capacity"});
    }
  } else if (*d.window() > *d.capacity()) {
    // Only the built-in window is too large: cap it, as resolve() does.
    d.set_window(*d.capacity());
  }
  // An explicit override window must fit the capacity it will run with when
  // the code does not set one: the override's own or the default capacity.
  for (auto& [name, m] : in.overrides) {
    if (!m.window())
      continue;
    auto& origins = in.override_origins.at(name);
    auto capacity = m.capacity() ? *m.capacity() : *d.capacity();
    if (*m.window() > capacity)
      fail_window(origins.at(field::window), capacity,
                  m.capacity() ? origins.at(field::capacity).key
                               : std::string{"sluice.default-capacity"});
  }
  result.overrides = in.overrides;
  if (in.drain_batch)
    result.drain_batch = *in.drain_batch;
  return result;
}

// -- the raw config file ------------------------------------------------------

struct parse_position {
  int line = 0;
  int column = 0;
};

parse_position position_of(const caf::error& err) {
  parse_position result;
  auto& ctx = err.context();
  if (!ctx.match_elements<caf::settings>())
    return result;
  auto& dict = ctx.get_as<caf::settings>(0);
  auto get = [&](const char* name) {
    auto i = dict.find(name);
    if (i == dict.end())
      return 0;
    auto value = caf::get_if<caf::config_value::integer>(&i->second);
    return value ? static_cast<int>(*value) : 0;
  };
  result.line = get("line");
  result.column = get("column");
  return result;
}

std::string describe(const caf::error& err) {
  if (err.category() == caf::atom("parser"))
    return caf::to_string(static_cast<caf::pec>(err.code()));
  return caf::to_string(err);
}

/// CAF's parser rejected the file: name the sluice key at the error if any.
[[noreturn]] void fail_syntax(const std::string& file,
                              const ini_outline& outline,
                              const caf::error& err) {
  auto pos = position_of(err);
  auto location
    = file + ":" + std::to_string(pos.line) + ":" + std::to_string(pos.column);
  auto e = outline.before(pos.line, pos.column);
  if (e != nullptr && is_sluice_path(e->path)) {
    std::string hint;
    if (!e->text.empty()
        && std::isalpha(static_cast<unsigned char>(e->text[0])))
      hint = "; strings must be quoted: \"" + e->text + "\"";
    throw config_error(e->path + ": cannot parse the value, got '" + e->text
                       + "'" + hint + " (" + file + ":"
                       + std::to_string(e->line) + ", CAF: " + describe(err)
                       + " at " + location + ")");
  }
  throw config_error(location + ": CAF cannot parse the config file ("
                     + describe(err) + "), so sluice cannot validate it");
}

/// Checks what CAF's parser accepts but silently loses.
void check_outline(const std::string& file, const ini_outline& outline) {
  for (auto& s : outline.sections)
    if (s.name.substr(0, 7) == "sluice.")
      throw config_error(
        "[" + s.name + "] (" + file + ":" + std::to_string(s.line)
        + "): sub-sections of [sluice] are not supported, because CAF 0.17.6 "
          "keeps only the last [sluice.mailboxes.*] section; write "
          "mailboxes = { NAME = { ... } } inside [sluice] instead");
  std::map<std::string, const ini_entry*> seen;
  for (auto& e : outline.entries) {
    if (e.in_list || !is_sluice_path(e.path))
      continue;
    auto [i, added] = seen.emplace(e.path, &e);
    if (!added)
      throw config_error(e.path + ": given twice, got '" + i->second->text
                         + "' (" + file + ":" + std::to_string(i->second->line)
                         + ") and '" + e.text + "' (" + file + ":"
                         + std::to_string(e.line) + ")");
  }
}

/// Validates the config file CAF read (if any) from its raw text.
void check_config_file(const caf::actor_system_config& cfg) {
  const auto& file = cfg.config_file_path;
  std::ifstream in{file};
  if (!in) {
    // The default caf-application.ini may be absent; an explicit one not.
    if (cfg.content.contains("config-file"))
      throw config_error("config-file: cannot open the config file, got '"
                         + file + "'");
    return;
  }
  std::string text{std::istreambuf_iterator<char>{in},
                   std::istreambuf_iterator<char>{}};
  auto outline = ini_scanner{text}.run();
  std::istringstream source{text};
  auto raw = caf::actor_system_config::parse_config(source);
  if (!raw)
    fail_syntax(file, outline, raw.error());
  check_outline(file, outline);
  settings_reader{&outline, file}.read(*raw);
}

/// CAF stops reading options at the first non-option argument and leaves
/// the rest in cfg.remainder: a --sluice flag there would be ignored.
void check_remainder(const caf::actor_system_config& cfg) {
  for (auto& arg : cfg.remainder) {
    if (arg == "--")
      return;
    if (arg.compare(0, 9, "--sluice.") == 0)
      throw config_error(
        arg.substr(2)
        + ": not read, because CAF stops reading options at the first "
          "non-option argument '"
        + cfg.remainder.front() + "'; put --sluice.* options before it");
  }
}

/// Grants access to actor_system_config::custom_options_, which CAF 0.17.6
/// only exposes to subclasses (a pointer to member formed in a derived class
/// may be applied to any actor_system_config).
struct options_access : caf::actor_system_config {
  static caf::config_option_set& of(caf::actor_system_config& cfg) {
    return cfg.*(&options_access::custom_options_);
  }
};

} // namespace

void add_options(caf::actor_system_config& cfg) {
  auto& options = options_access::of(cfg);
  if (options.qualified_name_lookup("sluice", "default-capacity") != nullptr)
    return;
  caf::config_option_adder{options, "sluice"}
    .add<std::string>("default-policy",
                      "block, drop-newest, drop-oldest or credit "
                      "(default: block)")
    .add<std::size_t>("default-capacity",
                      "messages a mailbox holds (default: 1024)")
    .add<caf::timespan>("block-timeout",
                        "longest wait of a thread on a full block mailbox "
                        "(default: 5s)")
    .add<std::size_t>("credit-window",
                      "credit leased to a sender at once, <= capacity "
                      "(default: 64)")
    .add<std::size_t>("park-limit",
                      "messages one sluice actor may have parked (default: 64)")
    .add<std::size_t>("overcommit",
                      "messages from unmanaged senders admitted over "
                      "capacity (default: 64)")
    .add<std::string>("credit-mode", "automatic or manual (default: automatic)")
    .add<std::size_t>("drain-batch",
                      "messages a sluice actor handles per drain (default: 64)")
    .add<std::vector<std::string>>("overrides",
                                   "per-mailbox settings NAME.KEY:VALUE, e.g. "
                                   "stage.capacity:64,stage.policy:credit");
}

runtime_settings read_settings(const caf::actor_system_config& cfg) {
  check_remainder(cfg);
  check_config_file(cfg);
  return finish(settings_reader{nullptr, {}}.read(cfg.content));
}

runtime_settings builtin_settings() {
  runtime_settings result;
  result.defaults.set_policy(policy::block)
    .set_capacity(builtin_capacity)
    .set_window(builtin_window)
    .set_block_timeout(builtin_block_timeout)
    .set_park_limit(builtin_park_limit)
    .set_overcommit(builtin_overcommit)
    .set_credit_mode(credit_mode::automatic);
  result.drain_batch = builtin_drain_batch;
  return result;
}

} // namespace sluice
