// Entry point of the thin libtorch addon: load(), deviceInfo(), and thread settings.
#include "common.h"
#include "face_landmarks.h"
#include "torch_module.h"

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <cstdlib>
#include <thread>

#ifdef WITH_CUDA
#include <cuda_runtime_api.h>
#endif

namespace gorggle {
namespace {

struct DeviceInfoBaton {
  bool cudaAvailable = false;
  int64_t deviceCount = 0;
  std::string name = "cpu";
  int64_t memoryTotalBytes = -1;
  int64_t memoryAllocatedBytes = -1;
};

class DeviceInfoWorker : public GuardedWorker {
 public:
  explicit DeviceInfoWorker(Napi::Function callback) : GuardedWorker(callback, "gorggle:deviceInfo") {}

  void ExecuteGuarded() override {
    baton_.cudaAvailable = torch::cuda::is_available();
    baton_.deviceCount = static_cast<int64_t>(torch::cuda::device_count());
#ifdef WITH_CUDA
    if (baton_.cudaAvailable) {
      cudaDeviceProp properties{};
      if (cudaGetDeviceProperties(&properties, 0) == cudaSuccess) baton_.name = properties.name;
      size_t freeBytes = 0, totalBytes = 0;
      if (cudaMemGetInfo(&freeBytes, &totalBytes) == cudaSuccess) {
        baton_.memoryTotalBytes = static_cast<int64_t>(totalBytes);
        baton_.memoryAllocatedBytes = static_cast<int64_t>(totalBytes - freeBytes);
      }
    }
#endif
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object info = Napi::Object::New(env);
    info.Set("cudaAvailable", baton_.cudaAvailable);
    info.Set("deviceCount", static_cast<double>(baton_.deviceCount));
    info.Set("name", baton_.name);
    info.Set("numThreads", at::get_num_threads());
    if (baton_.memoryTotalBytes >= 0) info.Set("memoryTotalBytes", static_cast<double>(baton_.memoryTotalBytes));
    if (baton_.memoryAllocatedBytes >= 0) {
      info.Set("memoryAllocatedBytes", static_cast<double>(baton_.memoryAllocatedBytes));
    }
    Callback().Call({env.Null(), info});
  }

 private:
  DeviceInfoBaton baton_;
};

Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  auto* worker = new DeviceInfoWorker(info[0].As<Napi::Function>());
  worker->Queue();
  return info.Env().Undefined();
}

// AVHUBERT_TORCH_THREADS caps intra-op threads; the default uses every core.
void ConfigureThreads() {
  int threads = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* configured = std::getenv("AVHUBERT_TORCH_THREADS")) {
    const int parsed = std::atoi(configured);
    if (parsed > 0) threads = parsed;
  }
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ConfigureThreads();
  auto* data = new AddonData();
  Napi::Function moduleClass = TorchModuleWrap::Define(env);
  Napi::Function deviceTensorClass = DeviceTensorWrap::Define(env);
  data->moduleConstructor = Napi::Persistent(moduleClass);
  data->deviceTensorConstructor = Napi::Persistent(deviceTensorClass);
  Napi::Function faceLandmarkerClass = FaceLandmarkerWrap::Define(env);
  data->faceLandmarkerConstructor = Napi::Persistent(faceLandmarkerClass);
  env.SetInstanceData(data);
  exports.Set("FaceLandmarker", faceLandmarkerClass);
  exports.Set("loadFaceLandmarker", Napi::Function::New(env, LoadFaceLandmarker, "loadFaceLandmarker"));
  exports.Set("TorchModule", moduleClass);
  exports.Set("DeviceTensor", deviceTensorClass);
  exports.Set("load", Napi::Function::New(env, Load, "load"));
  exports.Set("deviceInfo", Napi::Function::New(env, DeviceInfo, "deviceInfo"));
  exports.Set("torchVersion", Napi::String::New(env, TORCH_VERSION));
  exports.Set("withCuda",
#ifdef WITH_CUDA
              Napi::Boolean::New(env, true)
#else
              Napi::Boolean::New(env, false)
#endif
  );
  return exports;
}

}  // namespace gorggle

static Napi::Object InitGorggleTorch(Napi::Env env, Napi::Object exports) {
  return gorggle::Init(env, exports);
}

NODE_API_MODULE(gorggle_torch, InitGorggleTorch)
