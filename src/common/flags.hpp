#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.hpp"
#include "runtime/clock.hpp"

// Command-line flags with Mesos's syntax and sources:
//   --name=value      sets a flag (the name is lower-cased first, as Mesos does)
//   --name            sets a boolean flag to true (any other flag: "Missing value" error)
//   --no-name         sets a boolean flag to false
//   --                ends flag parsing; later arguments are ignored
//   MESOS_NAME=value  environment; KEEL_NAME=value wins over MESOS_NAME; the command line wins
//                     over both. Unknown names in the environment are ignored (other MESOS_*
//                     variables are common); unknown names on the command line are errors.
//   value file:///p   the value is read from file /p (trailing newlines dropped), for every
//                     implemented flag, as Mesos's flag fetcher does.
// Arguments that do not start with "--" are ignored with a warning. A flag given twice on the
// command line (also via a deprecated alias) is an error.
namespace keel {

// A byte count with Mesos's syntax: "<integer><unit>", unit B, KB, MB, GB or TB (powers of
// 1024, any case), e.g. "512MB", "100B", "4KB". Fractions are rejected.
struct Bytes {
  uint64_t bytes = 0;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

Result<Bytes> parseBytes(std::string_view text);

// The largest unit that loses nothing: "0B", "100B", "4KB", "2GB", "1TB" (as Mesos renders).
std::string formatBytes(Bytes b);

// A set of flag declarations bound to variables, and the loader that fills them.
// Declaration: add() binds a name to a variable; the variable's value at that moment is its
// default. Non-optional flags always have a value (rendered by values()) except std::string
// flags, which count as unset while empty and not loaded. Optional flags have a value only
// once loaded.
// The bound variables must outlive load(); values() and warnings() are snapshots that do not
// touch them afterwards, so a FlagSet may outlive the struct it was declared on.
// Not copyable or movable; not thread-safe (load once at start-up).
class FlagSet {
 public:
  FlagSet();
  FlagSet(const FlagSet&) = delete;
  FlagSet& operator=(const FlagSet&) = delete;

  // Each name may be declared once (a second declaration is a programming error, CHECKed).
  void add(const std::string& name, std::string* v, std::string help);
  void add(const std::string& name, bool* v, std::string help);
  void add(const std::string& name, int64_t* v, std::string help);
  void add(const std::string& name, double* v, std::string help);
  void add(const std::string& name, runtime::Duration* v, std::string help);
  void add(const std::string& name, Bytes* v, std::string help);
  void add(const std::string& name, std::optional<std::string>* v, std::string help);
  void add(const std::string& name, std::optional<int64_t>* v, std::string help);
  void add(const std::string& name, std::optional<runtime::Duration>* v, std::string help);

  // A flag Mesos accepts and Keel does not implement yet: any value is accepted and stored as
  // text (no file:// reading), setting it records the warning "Flag --<name> is accepted for
  // compatibility with Mesos but is not implemented yet; it is ignored". `def` is the value
  // Mesos shows for it in /flags when not set (none: not shown).
  void addUnimplemented(const std::string& name, std::string help,
                        std::optional<std::string> def = {});
  // Same for a boolean flag (so --name and --no-name work). Without `def` it is shown only
  // once set (Mesos builds that leave such a flag out of /flags).
  void addUnimplementedBool(const std::string& name, std::string help,
                            std::optional<bool> def = {});

  // Accepts `deprecated_name` for the already declared flag `name`; using it records the
  // warning "Loaded deprecated flag '<deprecated_name>'; use --<name> instead".
  void addAlias(const std::string& deprecated_name, const std::string& name);

  // Loads argv (argv[0] is the program) and then the environment `envp` ("KEY=VALUE" entries,
  // null-terminated, e.g. `environ`; may be null). Errors:
  //   "Failed to load unknown flag 'x'" followed by a blank line and usage(),
  //   "Failed to load flag 'x': <why>" for a value that does not parse or a file:// that
  //   cannot be read, "Failed to load non-boolean flag 'x': Missing value",
  //   "Failed to load non-boolean flag 'x' via 'no-x'", "Flag 'x' is already loaded via name
  //   'y'". On error the bound variables may be partly filled.
  Status load(int argc, const char* const* argv, const char* const* envp);

  // One line per flag, sorted by name, with its help and default.
  std::string usage(const std::string& program) const;

  // (name, value as Mesos renders it) for every flag with a value, sorted by name, including
  // "help"; durations as "15secs", bytes as "4KB", booleans as "true"/"false".
  std::vector<std::pair<std::string, std::string>> values() const;

  // Warnings recorded by load() (unimplemented flags set, deprecated names, ignored
  // arguments), in the order they arose; callers LOG(WARNING) each.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Appends a warning for the caller to log (used by the daemon flag loaders for values that
  // Keel accepts but handles differently from Mesos).
  void addWarning(std::string warning) { warnings_.push_back(std::move(warning)); }

  // True when --help was given (the caller prints usage() and exits).
  bool helpRequested() const { return help_; }

  // True when `name` was set from the command line or the environment.
  bool loaded(const std::string& name) const;

  // argv[0]'s base name after load().
  const std::string& programName() const { return program_; }

 private:
  struct Flag {
    std::string help;
    bool boolean = false;
    bool implemented = true;
    std::string default_text;                            // for usage()
    std::function<Status(const std::string&)> parse;     // stores into the variable
    std::function<std::optional<std::string>()> render;  // reads the variable
    std::optional<std::string> rendered;                 // snapshot
    std::optional<std::string> loaded_via;               // name it was loaded with
  };

  void declare(const std::string& name, Flag flag);
  Status apply(const std::string& given_name, const std::optional<std::string>& value,
               bool from_environment);
  void snapshot();

  std::map<std::string, Flag> flags_;
  std::map<std::string, std::string> aliases_;  // deprecated name -> name
  std::vector<std::string> warnings_;
  std::string program_;
  bool help_ = false;
};

}  // namespace keel
