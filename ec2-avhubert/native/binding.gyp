{
  # The thin libtorch + dlib addon. Settings (LIBTORCH_DIR, CUDA_HOME, dlib) are resolved by gyp-config.mjs.
  "targets": [
    {
      "target_name": "gorggle_torch",
      "sources": ["src/addon.cc", "src/torch_module.cc", "src/face_landmarks.cc"],
      "include_dirs": ["<!(node gyp-config.mjs node_addon_api)", "<!@(node gyp-config.mjs include_dirs)"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "<!@(node gyp-config.mjs defines)"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter"],
      "libraries": ["<!@(node gyp-config.mjs libraries)"],
      "ldflags": ["<!@(node gyp-config.mjs ldflags)"]
    }
  ]
}
