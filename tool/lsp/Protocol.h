//===--- Protocol.h - JSON-RPC 2.0 over a byte stream, LSP framing --------===//
//
// The transport of the language server (docs/editors.md): messages are JSON
// bodies preceded by a `Content-Length: N` header block, as the Language
// Server Protocol's base protocol specifies. Reading never throws and never
// trusts its input: a bad header block is skipped up to the next one, a body
// that is not JSON is reported to the caller, which answers with a JSON-RPC
// error. Writing is serialized, so any thread may send.
//
//===----------------------------------------------------------------------===//
#ifndef TETHER_TOOL_LSP_PROTOCOL_H
#define TETHER_TOOL_LSP_PROTOCOL_H

#include <nlohmann/json.hpp>

#include <cstddef>
#include <mutex>
#include <string>

namespace tether::lsp {

/// JSON-RPC and LSP error codes.
namespace ErrorCode {
inline constexpr int ParseError = -32700;
inline constexpr int InvalidRequest = -32600;
inline constexpr int MethodNotFound = -32601;
inline constexpr int InvalidParams = -32602;
inline constexpr int InternalError = -32603;
inline constexpr int ServerNotInitialized = -32002;
inline constexpr int RequestCancelled = -32800;
} // namespace ErrorCode

/// The largest body accepted; a larger Content-Length is a bad header.
inline constexpr size_t MaxMessageBytes = 256u << 20;

/// Reads framed messages from a file descriptor.
class MessageReader {
public:
  explicit MessageReader(int FD) : FD(FD) {}

  enum class Status {
    Ok,        ///< `Body` holds one message body (not yet parsed)
    BadHeader, ///< a header block without a usable Content-Length; skipped
    End,       ///< end of input (or a read error)
  };
  /// Reads the next message. With BadHeader, `Error` says what was wrong
  /// and the next call continues after the bad block.
  Status read(std::string &Body, std::string &Error);

private:
  /// Reads one header line (without its line break); false at the end.
  bool readLine(std::string &Line);
  /// Reads exactly N bytes; false at the end.
  bool readBytes(size_t N, std::string &Out);
  bool fill();

  int FD;
  std::string Buffer;
  size_t Pos = 0;
};

/// Writes framed messages to a file descriptor; thread-safe.
class MessageWriter {
public:
  explicit MessageWriter(int FD) : FD(FD) {}
  void send(const nlohmann::json &Message);

private:
  int FD;
  std::mutex Mutex;
};

/// A response to request `Id`.
nlohmann::json makeResult(const nlohmann::json &Id, nlohmann::json Result);
nlohmann::json makeError(const nlohmann::json &Id, int Code,
                         const std::string &Message);
nlohmann::json makeNotification(const std::string &Method,
                                nlohmann::json Params);

} // namespace tether::lsp

#endif
