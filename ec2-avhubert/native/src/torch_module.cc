// TorchModule: one baton + one AsyncWorker per operation (load, run). Inputs are validated
// in TypeScript (native/index.ts); here we only guard against crashes.
#include "torch_module.h"

#include <torch/cuda.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace gorggle {
namespace {

std::string DtypeName(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return "float32";
    case at::kHalf: return "float16";
    case at::kBFloat16: return "bfloat16";
    case at::kLong: return "int64";
    case at::kBool: return "bool";
    default: return c10::toString(type);
  }
}

// ---- load ---------------------------------------------------------------------------------

struct LoadBaton {
  std::string path;
  std::string deviceName;
  at::ScalarType floatType = at::kFloat;
  std::shared_ptr<torch::jit::Module> module;
  torch::Device device{torch::kCPU};
};

class LoadWorker : public GuardedWorker {
 public:
  LoadWorker(Napi::Function callback, LoadBaton baton)
      : GuardedWorker(callback, "gorggle:load"), baton_(std::move(baton)) {}

  void ExecuteGuarded() override {
    baton_.device = torch::Device(baton_.deviceName);
    if (baton_.device.is_cuda() && !torch::cuda::is_available()) {
      throw std::runtime_error(
          "CUDA is not available to libtorch (no GPU visible, or this addon was built against a CPU-only "
          "libtorch): load on 'cpu', or rebuild with LIBTORCH_DIR pointing at a CUDA LibTorch.");
    }
    auto module = std::make_shared<torch::jit::Module>(torch::jit::load(baton_.path, baton_.device));
    module->eval();
    // Half precision: the weights (and so every activation) in float16/bfloat16; inputs follow.
    if (baton_.floatType != at::kFloat) module->to(baton_.floatType);
    baton_.module = std::move(module);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object wrapper = env.GetInstanceData<AddonData>()->moduleConstructor.New({});
    TorchModuleWrap::Unwrap(wrapper)->Attach(std::move(baton_.module), baton_.device, baton_.floatType);
    Callback().Call({env.Null(), wrapper});
  }

 private:
  LoadBaton baton_;
};

// ---- run ----------------------------------------------------------------------------------

struct InputTensor {
  std::string name;
  // Either host data (borrowed from JS, kept alive by the worker) or a device tensor.
  void* data = nullptr;
  std::vector<int64_t> shape;
  at::ScalarType dtype = at::kFloat;
  at::Tensor onDevice;
};

struct RunBaton {
  std::shared_ptr<torch::jit::Module> module;
  torch::Device device{torch::kCPU};
  at::ScalarType floatType = at::kFloat;
  std::string method;
  std::vector<InputTensor> inputs;
  // Output indices that stay on the device as DeviceTensors; the rest come to the host.
  std::vector<uint32_t> keep;
  std::vector<at::Tensor> outputs;
  std::vector<bool> kept;
};

void FlattenOutput(const c10::IValue& value, std::vector<at::Tensor>& outputs) {
  if (value.isTensor()) {
    outputs.push_back(value.toTensor());
  } else if (value.isTuple()) {
    for (const auto& element : value.toTupleRef().elements()) FlattenOutput(element, outputs);
  } else if (value.isList()) {
    for (const auto& element : value.toListRef()) FlattenOutput(element, outputs);
  } else {
    throw std::runtime_error("the TorchScript method returned a " + value.tagKind() +
                             "; expected a tensor or a tuple of tensors");
  }
}

// Outputs come back on the CPU, contiguous, as float32 or int64: the only dtypes JS sees.
at::Tensor ToHostTensor(const at::Tensor& tensor) {
  const at::ScalarType dtype = at::isFloatingType(tensor.scalar_type()) ? at::kFloat : at::kLong;
  return tensor.detach().to(torch::kCPU, dtype).contiguous();
}

class RunWorker : public GuardedWorker {
 public:
  RunWorker(Napi::Function callback, RunBaton baton, std::vector<Napi::Reference<Napi::Value>> keepAlive)
      : GuardedWorker(callback, "gorggle:run"), baton_(std::move(baton)), keepAlive_(std::move(keepAlive)) {}

  void ExecuteGuarded() override {
    c10::InferenceMode inferenceMode;
    torch::jit::Kwargs kwargs;
    for (auto& input : baton_.inputs) {
      at::Tensor tensor;
      if (input.onDevice.defined()) {
        // Already where the module is; float tensors follow the module's dtype (no-op if equal).
        tensor = std::move(input.onDevice);
        if (at::isFloatingType(tensor.scalar_type())) tensor = tensor.to(baton_.floatType);
      } else {
        const at::ScalarType target = input.dtype == at::kFloat ? baton_.floatType : input.dtype;
        const auto options = torch::TensorOptions().dtype(input.dtype);
        const int64_t count = c10::multiply_integers(input.shape);
        // from_blob borrows JS memory (kept alive by keepAlive_); the copy makes the tensor ours.
        tensor = count == 0 ? torch::empty(input.shape, options.dtype(target).device(baton_.device))
                            : torch::from_blob(input.data, input.shape, options)
                                  .to(baton_.device, target, /*non_blocking=*/false, /*copy=*/true);
      }
      kwargs.emplace(input.name, std::move(tensor));
    }
    torch::jit::Method method = baton_.module->get_method(baton_.method);
    c10::IValue result = method(std::vector<c10::IValue>{}, kwargs);
    std::vector<at::Tensor> outputs;
    FlattenOutput(result, outputs);
    baton_.outputs.reserve(outputs.size());
    for (uint32_t i = 0; i < outputs.size(); ++i) {
      const bool keep = std::find(baton_.keep.begin(), baton_.keep.end(), i) != baton_.keep.end();
      baton_.kept.push_back(keep);
      baton_.outputs.push_back(keep ? outputs[i].detach() : ToHostTensor(outputs[i]));
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array results = Napi::Array::New(env, baton_.outputs.size());
    for (size_t i = 0; i < baton_.outputs.size(); ++i) {
      const at::Tensor& tensor = baton_.outputs[i];
      if (baton_.kept[i]) {
        Napi::Object handle = env.GetInstanceData<AddonData>()->deviceTensorConstructor.New({});
        DeviceTensorWrap::Unwrap(handle)->Attach(tensor);
        results.Set(static_cast<uint32_t>(i), handle);
        continue;
      }
      const size_t bytes = tensor.numel() * tensor.element_size();
      Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
      if (bytes > 0) std::memcpy(buffer.Data(), tensor.data_ptr(), bytes);
      Napi::Array shape = Napi::Array::New(env, tensor.dim());
      for (int64_t d = 0; d < tensor.dim(); ++d) shape.Set(static_cast<uint32_t>(d), static_cast<double>(tensor.size(d)));
      Napi::Object result = Napi::Object::New(env);
      result.Set("dtype", tensor.scalar_type() == at::kFloat ? "float32" : "int64");
      result.Set("buffer", buffer);
      result.Set("shape", shape);
      results.Set(static_cast<uint32_t>(i), result);
    }
    baton_.outputs.clear();
    Callback().Call({env.Null(), results});
  }

 private:
  RunBaton baton_;
  std::vector<Napi::Reference<Napi::Value>> keepAlive_;
};

}  // namespace

// ---- TorchModuleWrap ----------------------------------------------------------------------

Napi::Function TorchModuleWrap::Define(Napi::Env env) {
  return DefineClass(env, "TorchModule",
                     {
                         InstanceMethod<&TorchModuleWrap::Methods>("methods"),
                         InstanceMethod<&TorchModuleWrap::Run>("run"),
                         InstanceMethod<&TorchModuleWrap::Dispose>("dispose"),
                         InstanceAccessor<&TorchModuleWrap::GetDevice>("device"),
                         InstanceAccessor<&TorchModuleWrap::GetDtype>("dtype"),
                     });
}

TorchModuleWrap::TorchModuleWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TorchModuleWrap>(info) {}

void TorchModuleWrap::Attach(std::shared_ptr<torch::jit::Module> module, torch::Device device,
                             at::ScalarType floatType) {
  module_ = std::move(module);
  device_ = device;
  floatType_ = floatType;
}

Napi::Value TorchModuleWrap::GetDevice(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), device_.str());
}

Napi::Value TorchModuleWrap::GetDtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(floatType_));
}

// [{ name, args: [{ name, type, optional }] }]: metadata only, cheap enough for the JS thread.
Napi::Value TorchModuleWrap::Methods(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!module_) throw Napi::Error::New(env, "the TorchModule was disposed");
  Napi::Array methods = Napi::Array::New(env);
  uint32_t index = 0;
  for (const auto& method : module_->get_methods()) {
    const auto& arguments = method.function().getSchema().arguments();
    Napi::Array args = Napi::Array::New(env);
    // arguments[0] is `self`.
    for (size_t i = 1; i < arguments.size(); ++i) {
      const auto& argument = arguments[i];
      Napi::Object arg = Napi::Object::New(env);
      arg.Set("name", argument.name());
      arg.Set("type", argument.type()->annotation_str());
      arg.Set("optional", argument.default_value().has_value() || argument.type()->kind() == c10::TypeKind::OptionalType);
      args.Set(static_cast<uint32_t>(i - 1), arg);
    }
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("name", method.name());
    entry.Set("args", args);
    methods.Set(index++, entry);
  }
  return methods;
}

// run(method, inputs: Array<{ name, dtype, data: TypedArray, shape } | { name, handle: DeviceTensor }>,
//     keep: number[], callback)
Napi::Value TorchModuleWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!module_) throw Napi::Error::New(env, "the TorchModule was disposed");
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsArray() || !info[3].IsFunction()) {
    throw Napi::TypeError::New(env, "run(method, inputs, keep, callback) expects a string, two arrays and a function");
  }
  RunBaton baton;
  baton.module = module_;
  baton.device = device_;
  baton.floatType = floatType_;
  baton.method = info[0].As<Napi::String>();
  std::vector<Napi::Reference<Napi::Value>> keepAlive;
  Napi::Array inputs = info[1].As<Napi::Array>();
  Napi::Function deviceTensorClass = env.GetInstanceData<AddonData>()->deviceTensorConstructor.Value();
  for (uint32_t i = 0; i < inputs.Length(); ++i) {
    Napi::Object input = inputs.Get(i).As<Napi::Object>();
    InputTensor tensor;
    tensor.name = input.Get("name").As<Napi::String>();
    Napi::Value handle = input.Get("handle");
    if (handle.IsObject()) {
      if (!handle.As<Napi::Object>().InstanceOf(deviceTensorClass)) {
        throw Napi::TypeError::New(env, "input " + tensor.name + ": handle must be a DeviceTensor");
      }
      const at::Tensor& onDevice = DeviceTensorWrap::Unwrap(handle.As<Napi::Object>())->tensor();
      if (!onDevice.defined()) throw Napi::Error::New(env, "input " + tensor.name + " is a disposed DeviceTensor");
      if (onDevice.device() != device_) {
        throw Napi::Error::New(env, "input " + tensor.name + " is on " + onDevice.device().str() +
                                        " but the module runs on " + device_.str());
      }
      tensor.onDevice = onDevice;
      baton.inputs.push_back(std::move(tensor));
      continue;
    }
    Napi::Value data = input.Get("data");
    if (!data.IsTypedArray()) throw Napi::TypeError::New(env, "input data must be a typed array");
    Napi::TypedArray array = data.As<Napi::TypedArray>();
    if (array.TypedArrayType() == napi_float32_array) {
      tensor.dtype = at::kFloat;
    } else if (array.TypedArrayType() == napi_bigint64_array) {
      tensor.dtype = at::kLong;
    } else {
      throw Napi::TypeError::New(env, "input " + tensor.name + " must be a Float32Array or a BigInt64Array");
    }
    Napi::Array shape = input.Get("shape").As<Napi::Array>();
    int64_t count = 1;
    for (uint32_t d = 0; d < shape.Length(); ++d) {
      const int64_t size = shape.Get(d).As<Napi::Number>().Int64Value();
      if (size < 0) throw Napi::RangeError::New(env, "input " + tensor.name + " has a negative dimension");
      tensor.shape.push_back(size);
      count *= size;
    }
    if (static_cast<size_t>(count) != array.ElementLength()) {
      throw Napi::RangeError::New(env, "input " + tensor.name + " has a data length that does not match its shape");
    }
    tensor.data = static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    baton.inputs.push_back(std::move(tensor));
    keepAlive.push_back(Napi::Persistent(data));
  }
  Napi::Array keep = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < keep.Length(); ++i) baton.keep.push_back(keep.Get(i).As<Napi::Number>().Uint32Value());
  auto* worker = new RunWorker(info[3].As<Napi::Function>(), std::move(baton), std::move(keepAlive));
  worker->Queue();
  return env.Undefined();
}

Napi::Value TorchModuleWrap::Dispose(const Napi::CallbackInfo& info) {
  module_.reset();
  return info.Env().Undefined();
}

// ---- DeviceTensorWrap ---------------------------------------------------------------------

Napi::Function DeviceTensorWrap::Define(Napi::Env env) {
  return DefineClass(env, "DeviceTensor",
                     {
                         InstanceMethod<&DeviceTensorWrap::Dispose>("dispose"),
                         InstanceAccessor<&DeviceTensorWrap::GetShape>("shape"),
                         InstanceAccessor<&DeviceTensorWrap::GetDtype>("dtype"),
                         InstanceAccessor<&DeviceTensorWrap::GetDevice>("device"),
                         InstanceAccessor<&DeviceTensorWrap::GetDisposed>("disposed"),
                     });
}

DeviceTensorWrap::DeviceTensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceTensorWrap>(info) {}

// A run that already took this tensor holds its own reference, so disposing mid-run is safe.
Napi::Value DeviceTensorWrap::Dispose(const Napi::CallbackInfo& info) {
  tensor_ = at::Tensor();
  return info.Env().Undefined();
}

Napi::Value DeviceTensorWrap::GetShape(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array shape = Napi::Array::New(env);
  if (!tensor_.defined()) return shape;
  for (int64_t d = 0; d < tensor_.dim(); ++d) shape.Set(static_cast<uint32_t>(d), static_cast<double>(tensor_.size(d)));
  return shape;
}

Napi::Value DeviceTensorWrap::GetDtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tensor_.defined() ? DtypeName(tensor_.scalar_type()) : "disposed");
}

Napi::Value DeviceTensorWrap::GetDevice(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tensor_.defined() ? tensor_.device().str() : "disposed");
}

Napi::Value DeviceTensorWrap::GetDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor_.defined());
}

// ---- load ---------------------------------------------------------------------------------

Napi::Value Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() || !info[3].IsFunction()) {
    throw Napi::TypeError::New(env, "load(path, device, dtype, callback) expects three strings and a function");
  }
  LoadBaton baton;
  baton.path = info[0].As<Napi::String>();
  baton.deviceName = info[1].As<Napi::String>();
  const std::string dtype = info[2].As<Napi::String>();
  if (dtype == "float16") {
    baton.floatType = at::kHalf;
  } else if (dtype == "bfloat16") {
    baton.floatType = at::kBFloat16;
  } else if (dtype != "float32") {
    throw Napi::TypeError::New(env, "dtype must be 'float32', 'float16' or 'bfloat16'");
  }
  auto* worker = new LoadWorker(info[3].As<Napi::Function>(), std::move(baton));
  worker->Queue();
  return env.Undefined();
}

}  // namespace gorggle
