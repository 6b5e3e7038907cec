#include "parse.h"

#include <stdexcept>

int ParsePort(const std::string& address) {
  std::string::size_type colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size()) {
    throw std::invalid_argument("no port in '" + address + "'");
  }
  int port = 0;
  for (std::string::size_type i = colon + 1; i < address.size(); ++i) {
    char c = address[i];
    if (c < '0' || c > '9') {
      throw std::invalid_argument("bad port in '" + address + "'");
    }
    port = port * 10 + (c - '0');
  }
  return port;
}
