// Shared helpers for the libtorch addon: every worker reports libtorch's own message.
#pragma once

#include <napi.h>
#include <torch/script.h>

#include <exception>
#include <string>

namespace gorggle {

// c10::Error::what() carries a C++ backtrace that means nothing to a JS caller.
inline std::string DescribeException(const std::exception& error) {
  if (const auto* torchError = dynamic_cast<const c10::Error*>(&error)) {
    return torchError->what_without_backtrace();
  }
  return error.what();
}

// Runs `body`; returns the message of whatever it threw, or an empty string.
template <typename Body>
std::string Guarded(Body&& body) {
  try {
    body();
    return {};
  } catch (const std::exception& error) {
    return DescribeException(error);
  } catch (...) {
    return "libtorch raised an unknown exception";
  }
}

// Per-addon-instance state (worker threads load their own copy): the JS classes' constructors.
struct AddonData {
  Napi::FunctionReference moduleConstructor;
  Napi::FunctionReference deviceTensorConstructor;
  Napi::FunctionReference faceLandmarkerConstructor;
};

// Base for workers: Execute() runs ExecuteGuarded() and reports libtorch's message.
class GuardedWorker : public Napi::AsyncWorker {
 public:
  using Napi::AsyncWorker::AsyncWorker;

  void Execute() final {
    std::string error = Guarded([this] { ExecuteGuarded(); });
    if (!error.empty()) SetError(error);
  }

 protected:
  virtual void ExecuteGuarded() = 0;
};

}  // namespace gorggle
