// A loaded TorchScript module as a JS object: methods(), run(), dispose().
#pragma once

#include "common.h"

#include <memory>

namespace gorggle {

class TorchModuleWrap : public Napi::ObjectWrap<TorchModuleWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TorchModuleWrap(const Napi::CallbackInfo& info);
  void Attach(std::shared_ptr<torch::jit::Module> module, torch::Device device);

 private:
  Napi::Value Methods(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);

  // Shared with in-flight RunWorkers, so dispose() during a run frees the module after it.
  std::shared_ptr<torch::jit::Module> module_;
  torch::Device device_{torch::kCPU};
};

// load(path: string, device: string, callback(err, module))
Napi::Value Load(const Napi::CallbackInfo& info);

}  // namespace gorggle
