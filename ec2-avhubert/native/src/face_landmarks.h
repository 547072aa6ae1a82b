// dlib's HOG face detector and 68-point shape predictor (the landmarks AV-HuBERT's mouth crops
// were made with) as a JS object: detect(), landmarks(). One baton + one AsyncWorker per operation.
#pragma once

#include "common.h"

#include <memory>

namespace gorggle {

struct FaceModels;

class FaceLandmarkerWrap : public Napi::ObjectWrap<FaceLandmarkerWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit FaceLandmarkerWrap(const Napi::CallbackInfo& info);
  void Attach(std::shared_ptr<FaceModels> models) { models_ = std::move(models); }

 private:
  Napi::Value Detect(const Napi::CallbackInfo& info);
  Napi::Value Landmarks(const Napi::CallbackInfo& info);

  std::shared_ptr<FaceModels> models_;
};

// loadFaceLandmarker(shapePredictorPath: string, callback(err, landmarker))
Napi::Value LoadFaceLandmarker(const Napi::CallbackInfo& info);

}  // namespace gorggle
