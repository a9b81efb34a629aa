#pragma once
// Reading configuration structs from JSON (STYLE.md practice 4).
//
// A ConfigReader walks one JSON object. Each `get` reads a key into a field (keeping the field's default when
// the key is absent) and marks the key as known; `finish()` throws ConfigError naming every key that nothing
// read, so a misspelt key is an error instead of a silently ignored setting. Paths in messages are dotted
// from the root ("agent.lr").
//
//   FooConfig c;                      // defaults
//   ConfigReader r(json, "foo");
//   r.get("lr", c.lr);                // type-checked; "foo.lr: expected a number, got \"x\""
//   r.get("hidden", c.hidden);        // std::vector<int> etc. work through nlohmann_json
//   r.finish();                       // "foo: unknown key 'lrr' (known: hidden, lr)"
//   c.validate();                     // range checks, throwing ConfigError with the key

#include <initializer_list>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace pib {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_.is_object() && !object_.is_null())
      raise<ConfigError>(where(), ": expected a JSON object, got ", object_.dump());
  }

  // Dotted path of a key below this object, for messages.
  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  bool has(const std::string& key) const { return object_.is_object() && object_.contains(key); }

  // Reads `key` into `out` if present; keeps `out` (the default) otherwise.
  template <typename T>
  void get(const std::string& key, T& out) {
    known_.insert(key);
    if (!has(key)) return;
    try {
      out = object_.at(key).get<T>();
    } catch (const nlohmann::json::exception& e) {
      raise<ConfigError>(key_path(key), ": wrong type (", e.what(), "), got ", object_.at(key).dump());
    }
  }

  // The sub-object at `key` (null when absent), marking the key as known.
  const nlohmann::json& child(const std::string& key) {
    known_.insert(key);
    static const nlohmann::json null_json;
    return has(key) ? object_.at(key) : null_json;
  }

  // A key that an older schema had: present, it is a ConfigError naming where the setting lives now.
  void moved(const std::string& old_key, const std::string& new_path) {
    known_.insert(old_key);
    if (has(old_key)) raise<ConfigError>(key_path(old_key), ": this key is now ", new_path);
  }

  // Throws ConfigError if the object holds a key that no get/child call asked for.
  void finish() const {
    if (!object_.is_object()) return;
    for (const auto& item : object_.items()) {
      if (known_.count(item.key())) continue;
      std::string known;
      for (const auto& k : known_)
        known += (known.empty() ? "" : ", ") + k;
      raise<ConfigError>(where(), ": unknown key '", item.key(), "' (known: ", known, ")");
    }
  }

 private:
  std::string where() const { return path_.empty() ? std::string("config") : path_; }

  const nlohmann::json& object_;
  std::string path_;
  std::set<std::string> known_;
};

// The enumerator named `value` among `choices` ({"name", E::x}, ...); anything else is a ConfigError
// "<path>: 'value' is not one of a, b, c".
template <typename E>
E parse_enum(const std::string& path, const std::string& value,
             std::initializer_list<std::pair<const char*, E>> choices) {
  std::string known;
  for (const auto& [name, e] : choices) {
    if (value == name) return e;
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  raise<ConfigError>(path, ": '", value, "' is not one of ", known);
}

// Throws ConfigError "<path>: <value> is out of range: expected <what>" unless `ok`.
template <typename V>
void require_config(bool ok, const std::string& path, const V& value, const std::string& expected) {
  if (!ok) raise<ConfigError>(path, ": ", value, " is out of range: expected ", expected);
}

// Applies a command-line override "key.path=value" to `j`: the value is parsed as JSON when it can be
// (numbers, true/false, arrays, quoted strings) and taken as a plain string otherwise; intermediate objects
// are created; an array element is addressed by its index ("units.0.n_speckle=512").
inline void apply_override(nlohmann::json& j, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    raise<ConfigError>("override '", assignment, "': expected key.path=value");
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  nlohmann::json value = nlohmann::json::parse(text, nullptr, false);
  if (value.is_discarded()) value = text;
  nlohmann::json* node = &j;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty()) raise<ConfigError>("override '", assignment, "': empty key in '", path, "'");
    if (node->is_array()) {
      std::size_t index = 0;
      try {
        index = std::stoul(key);
      } catch (const std::exception&) {
        raise<ConfigError>("override '", assignment, "': '", key, "' is not an index into an array");
      }
      if (index >= node->size())
        raise<ConfigError>("override '", assignment, "': index ", index, " out of range (size ", node->size(),
                           ")");
      node = &(*node)[index];
    } else {
      if (!node->is_object() && !node->is_null())
        raise<ConfigError>("override '", assignment, "': '", key, "' is below a value that is not an object");
      node = &(*node)[key];
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = value;
}

}  // namespace pib
