#pragma once

#include <map>
#include <string>

#include <mesos/mesos.pb.h>

#include "common/status.hpp"

namespace keel::auth {

// Reads the master's --credentials file. `path` may carry a "file://" prefix; a value that
// names no file but starts with '{', or holds whitespace and parses, is taken as the file's
// content (the flag loader replaces "file://<path>" values by the content). The content
// is either Mesos's JSON form {"credentials": [{"principal": "p", "secret": "s"}, ...]}
// or the legacy text form of older Mesos releases: one "principal secret" pair per line
// (blank lines ignored). Errors: unreadable file, an empty file or no credential at all
// ("Credentials file must contain at least one credential"), malformed JSON, a line that is
// not two fields. Logs a warning when the file is readable by others, as Mesos does.
Result<mesos::Credentials> readCredentials(const std::string& path);

// Parses the content of a credentials file (see readCredentials); no I/O.
Result<mesos::Credentials> parseCredentials(const std::string& text);

// Reads an agent's --credential: a file (optionally "file://") holding either the JSON
// object {"principal": "p", "secret": "s"} or the text "p s"; as for readCredentials, a
// value that names no file but parses is taken as the content. Errors: unreadable file,
// no principal, malformed content.
Result<mesos::Credential> readCredential(const std::string& flag_value);
Result<mesos::Credential> parseCredential(const std::string& text);

// principal -> secret; a later duplicate principal wins.
std::map<std::string, std::string> secretsOf(const mesos::Credentials& credentials);

}  // namespace keel::auth
