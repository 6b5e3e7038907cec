#pragma once

#include <string>

// Parses "host:port" and returns the port; throws std::invalid_argument on
// anything else.
int ParsePort(const std::string& address);
