// FaceLandmarker: one baton + one AsyncWorker per operation (load, detect, landmarks). Inputs are
// validated in TypeScript (native/face-landmarks.ts); here we only guard against crashes.
#include "face_landmarks.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms/interpolation.h>

#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace gorggle {

struct FaceModels {
  dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
  // object_detector keeps scratch state: one detection at a time. shape_predictor is const.
  std::mutex detectorMutex;
  dlib::shape_predictor predictor;
};

namespace {

using GrayImage = dlib::array2d<unsigned char>;

// OpenCV's COLOR_RGB2GRAY in fixed point, as AV-HuBERT's preparation converts frames.
void ToGray(const uint8_t* rgb, int64_t width, int64_t height, GrayImage& gray) {
  gray.set_size(height, width);
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = rgb + y * width * 3;
    for (int64_t x = 0; x < width; ++x) {
      const uint32_t r = row[3 * x], g = row[3 * x + 1], b = row[3 * x + 2];
      gray[y][x] = static_cast<unsigned char>((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14);
    }
  }
}

struct RgbInput {
  const uint8_t* data = nullptr;
  int64_t width = 0;
  int64_t height = 0;
};

RgbInput ReadFrame(Napi::Env env, Napi::Value value, int64_t width, int64_t height,
                   std::vector<Napi::Reference<Napi::Value>>& keepAlive) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "a frame must be a Uint8Array of RGB24 pixels");
  }
  Napi::Uint8Array array = value.As<Napi::Uint8Array>();
  if (width <= 0 || height <= 0 || static_cast<int64_t>(array.ElementLength()) != width * height * 3) {
    throw Napi::RangeError::New(env, "a frame's length must be width * height * 3");
  }
  keepAlive.push_back(Napi::Persistent(value));
  return {array.Data(), width, height};
}

// ---- load ---------------------------------------------------------------------------------

class LoadWorker : public GuardedWorker {
 public:
  LoadWorker(Napi::Function callback, std::string path)
      : GuardedWorker(callback, "gorggle:loadFaceLandmarker"), path_(std::move(path)) {}

  void ExecuteGuarded() override {
    auto models = std::make_shared<FaceModels>();
    dlib::deserialize(path_) >> models->predictor;
    if (models->predictor.num_parts() != 68) {
      throw std::runtime_error(path_ + " predicts " + std::to_string(models->predictor.num_parts()) +
                               " points; the AV-HuBERT recipe needs the 68-point model (shape_predictor_68_face_landmarks.dat)");
    }
    models_ = std::move(models);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object wrapper = env.GetInstanceData<AddonData>()->faceLandmarkerConstructor.New({});
    FaceLandmarkerWrap::Unwrap(wrapper)->Attach(std::move(models_));
    Callback().Call({env.Null(), wrapper});
  }

 private:
  std::string path_;
  std::shared_ptr<FaceModels> models_;
};

// ---- detect -------------------------------------------------------------------------------

struct DetectBaton {
  std::shared_ptr<FaceModels> models;
  RgbInput frame;
  int upsample = 0;
  // left, top, width, height, score per face
  std::vector<double> faces;
};

class DetectWorker : public GuardedWorker {
 public:
  DetectWorker(Napi::Function callback, DetectBaton baton, std::vector<Napi::Reference<Napi::Value>> keepAlive)
      : GuardedWorker(callback, "gorggle:detectFaces"), baton_(std::move(baton)), keepAlive_(std::move(keepAlive)) {}

  void ExecuteGuarded() override {
    GrayImage gray;
    ToGray(baton_.frame.data, baton_.frame.width, baton_.frame.height, gray);
    // As dlib's Python detector(img, upsample): detect on the upsampled image, scale boxes back.
    double scale = 1;
    for (int i = 0; i < baton_.upsample; ++i) {
      dlib::pyramid_up(gray);
      scale *= 2;
    }
    std::vector<dlib::rect_detection> detections;
    {
      std::lock_guard<std::mutex> lock(baton_.models->detectorMutex);
      baton_.models->detector(gray, detections, 0.0);
    }
    for (const auto& detection : detections) {
      const auto& box = detection.rect;
      baton_.faces.insert(baton_.faces.end(), {box.left() / scale, box.top() / scale, box.width() / scale,
                                               box.height() / scale, detection.detection_confidence});
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Float64Array faces = Napi::Float64Array::New(env, baton_.faces.size());
    std::copy(baton_.faces.begin(), baton_.faces.end(), faces.Data());
    Callback().Call({env.Null(), faces});
  }

 private:
  DetectBaton baton_;
  std::vector<Napi::Reference<Napi::Value>> keepAlive_;
};

// ---- landmarks ----------------------------------------------------------------------------

struct LandmarksBaton {
  std::shared_ptr<FaceModels> models;
  std::vector<RgbInput> frames;
  // left, top, right, bottom per frame
  std::vector<double> boxes;
  std::vector<float> points;
};

class LandmarksWorker : public GuardedWorker {
 public:
  LandmarksWorker(Napi::Function callback, LandmarksBaton baton, std::vector<Napi::Reference<Napi::Value>> keepAlive)
      : GuardedWorker(callback, "gorggle:faceLandmarks"), baton_(std::move(baton)), keepAlive_(std::move(keepAlive)) {}

  void ExecuteGuarded() override {
    baton_.points.resize(baton_.frames.size() * 136);
    GrayImage gray;
    for (size_t i = 0; i < baton_.frames.size(); ++i) {
      const RgbInput& frame = baton_.frames[i];
      ToGray(frame.data, frame.width, frame.height, gray);
      const double* box = &baton_.boxes[i * 4];
      const dlib::rectangle rect(std::lround(box[0]), std::lround(box[1]), std::lround(box[2]), std::lround(box[3]));
      const dlib::full_object_detection shape = baton_.models->predictor(gray, rect);
      for (unsigned long part = 0; part < shape.num_parts(); ++part) {
        baton_.points[i * 136 + 2 * part] = static_cast<float>(shape.part(part).x());
        baton_.points[i * 136 + 2 * part + 1] = static_cast<float>(shape.part(part).y());
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Float32Array points = Napi::Float32Array::New(env, baton_.points.size());
    std::copy(baton_.points.begin(), baton_.points.end(), points.Data());
    Callback().Call({env.Null(), points});
  }

 private:
  LandmarksBaton baton_;
  std::vector<Napi::Reference<Napi::Value>> keepAlive_;
};

}  // namespace

// ---- FaceLandmarkerWrap -------------------------------------------------------------------

Napi::Function FaceLandmarkerWrap::Define(Napi::Env env) {
  return DefineClass(env, "FaceLandmarker",
                     {
                         InstanceMethod<&FaceLandmarkerWrap::Detect>("detect"),
                         InstanceMethod<&FaceLandmarkerWrap::Landmarks>("landmarks"),
                     });
}

FaceLandmarkerWrap::FaceLandmarkerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FaceLandmarkerWrap>(info) {}

// detect(rgb: Uint8Array, width, height, upsample, callback(err, Float64Array [left, top, width, height, score]*))
Napi::Value FaceLandmarkerWrap::Detect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber() || !info[4].IsFunction()) {
    throw Napi::TypeError::New(env, "detect(rgb, width, height, upsample, callback)");
  }
  std::vector<Napi::Reference<Napi::Value>> keepAlive;
  DetectBaton baton;
  baton.models = models_;
  baton.frame = ReadFrame(env, info[0], info[1].As<Napi::Number>().Int64Value(), info[2].As<Napi::Number>().Int64Value(),
                          keepAlive);
  baton.upsample = std::max(0, std::min(2, info[3].As<Napi::Number>().Int32Value()));
  (new DetectWorker(info[4].As<Napi::Function>(), std::move(baton), std::move(keepAlive)))->Queue();
  return env.Undefined();
}

// landmarks(frames: Uint8Array[], width, height, boxes: Float64Array [left, top, right, bottom]*, callback(err, Float32Array))
Napi::Value FaceLandmarkerWrap::Landmarks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsArray() || !info[1].IsNumber() || !info[2].IsNumber() ||
      !info[3].IsTypedArray() || !info[4].IsFunction()) {
    throw Napi::TypeError::New(env, "landmarks(frames, width, height, boxes, callback)");
  }
  std::vector<Napi::Reference<Napi::Value>> keepAlive;
  LandmarksBaton baton;
  baton.models = models_;
  Napi::Array frames = info[0].As<Napi::Array>();
  const int64_t width = info[1].As<Napi::Number>().Int64Value();
  const int64_t height = info[2].As<Napi::Number>().Int64Value();
  for (uint32_t i = 0; i < frames.Length(); ++i) baton.frames.push_back(ReadFrame(env, frames.Get(i), width, height, keepAlive));
  Napi::TypedArray boxes = info[3].As<Napi::TypedArray>();
  if (boxes.TypedArrayType() != napi_float64_array || boxes.ElementLength() != frames.Length() * 4) {
    throw Napi::RangeError::New(env, "boxes must be a Float64Array of 4 numbers per frame");
  }
  const double* box = boxes.As<Napi::Float64Array>().Data();
  baton.boxes.assign(box, box + boxes.ElementLength());
  (new LandmarksWorker(info[4].As<Napi::Function>(), std::move(baton), std::move(keepAlive)))->Queue();
  return env.Undefined();
}

Napi::Value LoadFaceLandmarker(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsFunction()) {
    throw Napi::TypeError::New(env, "loadFaceLandmarker(path, callback)");
  }
  (new LoadWorker(info[1].As<Napi::Function>(), info[0].As<Napi::String>()))->Queue();
  return env.Undefined();
}

}  // namespace gorggle
