//===--- Protocol.cpp - JSON-RPC 2.0 over a byte stream, LSP framing ------===//

#include "lsp/Protocol.h"

#include <cctype>
#include <cerrno>
#include <unistd.h>

namespace tether::lsp {

bool MessageReader::fill() {
  if (Pos > 0 && Pos == Buffer.size()) {
    Buffer.clear();
    Pos = 0;
  }
  char Chunk[65536];
  for (;;) {
    ssize_t N = ::read(FD, Chunk, sizeof Chunk);
    if (N > 0) {
      Buffer.append(Chunk, static_cast<size_t>(N));
      return true;
    }
    if (N < 0 && errno == EINTR)
      continue;
    return false;
  }
}

bool MessageReader::readLine(std::string &Line) {
  for (;;) {
    size_t NL = Buffer.find('\n', Pos);
    if (NL != std::string::npos) {
      Line.assign(Buffer, Pos, NL - Pos);
      Pos = NL + 1;
      if (!Line.empty() && Line.back() == '\r')
        Line.pop_back();
      return true;
    }
    // A header line longer than any sane header: give it up in pieces.
    if (Buffer.size() - Pos > 65536) {
      Line.assign(Buffer, Pos, std::string::npos);
      Pos = Buffer.size();
      return true;
    }
    if (!fill())
      return false;
  }
}

bool MessageReader::readBytes(size_t N, std::string &Out) {
  while (Buffer.size() - Pos < N)
    if (!fill())
      return false;
  Out.assign(Buffer, Pos, N);
  Pos += N;
  if (Pos == Buffer.size()) {
    Buffer.clear();
    Pos = 0;
  }
  return true;
}

MessageReader::Status MessageReader::read(std::string &Body,
                                          std::string &Error) {
  std::string Line;
  long long Length = -1;
  bool Any = false, Bad = false;
  for (;;) {
    if (!readLine(Line))
      return Status::End;
    if (Line.empty()) {
      if (!Any)
        continue; // blank lines between messages
      break;
    }
    Any = true;
    size_t Colon = Line.find(':');
    if (Colon == std::string::npos) {
      Bad = true;
      Error = "malformed header line '" + Line.substr(0, 80) + "'";
      continue;
    }
    std::string Name = Line.substr(0, Colon);
    for (char &C : Name)
      C = static_cast<char>(std::tolower(static_cast<unsigned char>(C)));
    if (Name != "content-length")
      continue; // Content-Type and future headers
    std::string Value = Line.substr(Colon + 1);
    size_t B = Value.find_first_not_of(" \t");
    size_t E = Value.find_last_not_of(" \t");
    Value = B == std::string::npos ? "" : Value.substr(B, E - B + 1);
    bool Digits = !Value.empty() && Value.size() <= 12;
    for (char C : Value)
      Digits = Digits && std::isdigit(static_cast<unsigned char>(C));
    if (!Digits) {
      Bad = true;
      Error = "bad Content-Length '" + Value.substr(0, 40) + "'";
      continue;
    }
    Length = std::stoll(Value);
  }
  if (!Bad && Length < 0) {
    Bad = true;
    Error = "header block without Content-Length";
  }
  if (!Bad && static_cast<unsigned long long>(Length) > MaxMessageBytes) {
    Bad = true;
    Error = "Content-Length " + std::to_string(Length) + " exceeds the limit";
  }
  if (Bad)
    return Status::BadHeader;
  if (!readBytes(static_cast<size_t>(Length), Body))
    return Status::End;
  return Status::Ok;
}

void MessageWriter::send(const nlohmann::json &Message) {
  std::string Body =
      Message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string Out =
      "Content-Length: " + std::to_string(Body.size()) + "\r\n\r\n" + Body;
  std::lock_guard<std::mutex> Lock(Mutex);
  const char *P = Out.data();
  size_t Left = Out.size();
  while (Left > 0) {
    ssize_t N = ::write(FD, P, Left);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0)
      return; // the client is gone; the read side sees the end
    P += N;
    Left -= static_cast<size_t>(N);
  }
}

nlohmann::json makeResult(const nlohmann::json &Id, nlohmann::json Result) {
  return {{"jsonrpc", "2.0"}, {"id", Id}, {"result", std::move(Result)}};
}

nlohmann::json makeError(const nlohmann::json &Id, int Code,
                         const std::string &Message) {
  return {{"jsonrpc", "2.0"},
          {"id", Id},
          {"error", {{"code", Code}, {"message", Message}}}};
}

nlohmann::json makeNotification(const std::string &Method,
                                nlohmann::json Params) {
  return {
      {"jsonrpc", "2.0"}, {"method", Method}, {"params", std::move(Params)}};
}

} // namespace tether::lsp
