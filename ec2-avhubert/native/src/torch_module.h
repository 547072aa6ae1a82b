// A loaded TorchScript module as a JS object: methods(), run(), dispose(); and DeviceTensor,
// an opaque handle on a tensor that stays on the module's device between runs.
#pragma once

#include "common.h"

#include <memory>

namespace gorggle {

class TorchModuleWrap : public Napi::ObjectWrap<TorchModuleWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TorchModuleWrap(const Napi::CallbackInfo& info);
  void Attach(std::shared_ptr<torch::jit::Module> module, torch::Device device, at::ScalarType floatType);

 private:
  Napi::Value Methods(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);
  Napi::Value GetDtype(const Napi::CallbackInfo& info);

  // Shared with in-flight RunWorkers, so dispose() during a run frees the module after it.
  std::shared_ptr<torch::jit::Module> module_;
  torch::Device device_{torch::kCPU};
  // Float inputs are converted to this: the module's weights' dtype.
  at::ScalarType floatType_ = at::kFloat;
};

// A tensor kept where a run left it (the GPU, say): shape, dtype, device, dispose(). It never
// crosses to the host; a run takes it as an input. dispose() frees it now rather than at GC.
class DeviceTensorWrap : public Napi::ObjectWrap<DeviceTensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit DeviceTensorWrap(const Napi::CallbackInfo& info);
  void Attach(at::Tensor tensor) { tensor_ = std::move(tensor); }
  // Undefined (not defined()) once disposed.
  const at::Tensor& tensor() const { return tensor_; }

 private:
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value GetShape(const Napi::CallbackInfo& info);
  Napi::Value GetDtype(const Napi::CallbackInfo& info);
  Napi::Value GetDevice(const Napi::CallbackInfo& info);
  Napi::Value GetDisposed(const Napi::CallbackInfo& info);

  at::Tensor tensor_;
};

// load(path: string, device: string, dtype: 'float32'|'float16'|'bfloat16', callback(err, module))
Napi::Value Load(const Napi::CallbackInfo& info);

}  // namespace gorggle
