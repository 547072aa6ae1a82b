"""Reference answers from scikit-image and OpenCV, the libraries AV-HuBERT's preparation uses
(avhubert/preparation/align_mouth.py: skimage estimate_transform + warp; the loader: cv2 gray).

Reads one JSON request on stdin, writes one JSON answer on stdout:
  {"op": "similarity", "src": [[x, y]...], "dst": [[x, y]...]}
      -> {"a", "b", "tx", "ty"}: estimate_transform('similarity', src, dst) as x' = a x - b y + tx
  {"op": "warp", "rgb": "<path of raw RGB24>", "width", "height", "transform": {"a","b","tx","ty"},
   "left", "top", "size"}
      -> {"gray": [...]}: warp(rgb, inverse_map=tform.inverse, output_shape=(256, 256)) as
         align_mouth.py does, scaled to uint8, cut at [top:top+size, left:left+size], then
         cv2.cvtColor(RGB2GRAY) as the AV-HuBERT loader reads the crop
"""

import json
import sys

import cv2
import numpy as np
from skimage import transform as tf


def similarity(request):
    tform = tf.estimate_transform("similarity", np.array(request["src"], float), np.array(request["dst"], float))
    matrix = tform.params
    return {"a": matrix[0, 0], "b": matrix[1, 0], "tx": matrix[0, 2], "ty": matrix[1, 2]}


def warp(request):
    width, height = request["width"], request["height"]
    rgb = np.fromfile(request["rgb"], dtype=np.uint8).reshape(height, width, 3)
    t = request["transform"]
    tform = tf.SimilarityTransform(matrix=np.array([[t["a"], -t["b"], t["tx"]], [t["b"], t["a"], t["ty"]], [0, 0, 1]]))
    warped = tf.warp(rgb, inverse_map=tform.inverse, output_shape=(256, 256))
    warped = (warped * 255).astype("uint8")
    left, top, size = request["left"], request["top"], request["size"]
    crop = np.ascontiguousarray(warped[top : top + size, left : left + size])
    return {"gray": cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).reshape(-1).tolist()}


def main() -> None:
    request = json.load(sys.stdin)
    answer = {"similarity": similarity, "warp": warp}[request["op"]](request)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
