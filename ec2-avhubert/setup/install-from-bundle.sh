#!/usr/bin/env bash
# Installs the Gorggle lip-reading server from the bundle `make avhubert-bundle` packs, on the
# first boot of a GPU instance, with no internet: everything comes from the bundle (Node 22,
# the static ffmpeg, the server, node-gyp and Node's headers, dlib) or from the AMI (the NVIDIA
# driver, PyTorch's CUDA libtorch of an AWS Deep Learning AMI, a compiler, pkg-config), and the
# model package from S3. Terraform's user data unpacks the bundle into /opt/gorggle and runs
# this script from there.
#
#   sudo /opt/gorggle/ec2-avhubert/setup/install-from-bundle.sh --region eu-west-1 \
#     --model-s3-uri s3://<artifacts bucket>/models/avhubert/ --processed-bucket <bucket> \
#     --secret-parameter /gorggle/avhubert/shared-secret [--port 8080]
#
# Without a model package at --model-s3-uri the server still starts, and says so on /health.
# Environment: GORGGLE_LIBTORCH_DIR picks the libtorch to build against; GORGGLE_PREFIX and
# GORGGLE_SKIP_SYSTEM=1 (no user, no systemd) let the tests install into a scratch folder.
set -euo pipefail

readonly PREFIX="${GORGGLE_PREFIX:-}"
APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly APP_DIR
readonly MODELS_DIR="${PREFIX}/opt/gorggle-models"
readonly ENV_FILE="${PREFIX}/etc/gorggle/avhubert.env"
readonly UNIT_DIR="${PREFIX}/etc/systemd/system"
readonly TMP_DIR="${PREFIX}/var/tmp/gorggle-avhubert"
readonly SERVICE=gorggle-avhubert
readonly SERVICE_USER=gorggle
readonly SKIP_SYSTEM="${GORGGLE_SKIP_SYSTEM:-0}"

REGION=""
MODEL_S3_URI=""
PROCESSED_BUCKET=""
SECRET_PARAMETER=""
PORT=8080
START_SERVICE=1

log() { printf '\n==> %s\n' "$*"; }
die() {
  printf 'install-from-bundle: %s\n' "$*" >&2
  exit 1
}

while (($#)); do
  case "$1" in
    --region | --model-s3-uri | --processed-bucket | --secret-parameter | --port)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      case "$1" in
        --region) REGION="$2" ;;
        --model-s3-uri) MODEL_S3_URI="$2" ;;
        --processed-bucket) PROCESSED_BUCKET="$2" ;;
        --secret-parameter) SECRET_PARAMETER="$2" ;;
        *) PORT="$2" ;;
      esac
      shift 2
      ;;
    --no-start)
      START_SERVICE=0
      shift
      ;;
    *) die "unknown argument: $1 (see the comment at the top of this script)" ;;
  esac
done

[[ ${REGION} =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || die "give the AWS region: --region eu-west-1"
[[ ${MODEL_S3_URI} =~ ^s3://[^/]+/.+/$ ]] || die "give the model package folder: --model-s3-uri s3://bucket/prefix/"
[[ ${PROCESSED_BUCKET} =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "give the processed bucket: --processed-bucket <name>"
[[ ${SECRET_PARAMETER} =~ ^/[A-Za-z0-9_./-]+$ ]] || die "give the shared secret's SSM parameter: --secret-parameter /gorggle/avhubert/shared-secret"
[[ ${PORT} =~ ^[0-9]+$ ]] || die "--port must be a number"
[[ ${SKIP_SYSTEM} == 1 || ${EUID} -eq 0 ]] || die "run me as root"
[[ -x ${APP_DIR}/node/bin/node && -f ${APP_DIR}/ec2-avhubert/dist/server.mjs ]] ||
  die "${APP_DIR} is not an unpacked bundle (no node/bin/node or ec2-avhubert/dist/server.mjs)"
command -v aws >/dev/null || die "the AWS CLI is missing: use an AMI that has it (AWS Deep Learning AMIs do)"
command -v pkg-config >/dev/null || die "pkg-config is missing: the addon build finds the bundle's dlib with it"
export AWS_REGION="${REGION}" AWS_DEFAULT_REGION="${REGION}"
export PATH="${APP_DIR}/node/bin:${PATH}"

# PyTorch's own libtorch (include/, lib/, share/cmake/Torch), as the Deep Learning AMIs install it.
find_libtorch() {
  if [[ -n ${GORGGLE_LIBTORCH_DIR:-} ]]; then
    printf '%s' "${GORGGLE_LIBTORCH_DIR}"
    return
  fi
  local python dir
  for python in /opt/pytorch/bin/python3 /opt/conda/envs/pytorch/bin/python3 /usr/bin/python3; do
    [[ -x ${python} ]] || continue
    dir="$("${python}" -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null)" || continue
    if [[ -f ${dir}/lib/libtorch.so && -d ${dir}/include/torch ]]; then
      printf '%s' "${dir}"
      return
    fi
  done
  if [[ -f /opt/libtorch/lib/libtorch.so ]]; then printf '%s' /opt/libtorch; fi
}

# A CUDA toolkit with cuda_runtime_api.h and libcudart.so, or one made from PyTorch's pip wheels.
find_cuda_home() {
  local libtorch="$1" candidate runtime
  for candidate in "${CUDA_HOME:-}" /usr/local/cuda /usr/local/cuda-*; do
    if [[ -n ${candidate} && -f ${candidate}/include/cuda_runtime_api.h && -d ${candidate}/lib64 ]]; then
      printf '%s' "${candidate}"
      return
    fi
  done
  runtime="$(dirname "${libtorch}")/nvidia/cuda_runtime"
  [[ -f ${runtime}/include/cuda_runtime_api.h ]] || die "no CUDA headers: none in /usr/local/cuda* nor ${runtime}"
  local libraries=("${runtime}"/lib/libcudart.so*)
  [[ -e ${libraries[0]} ]] || die "no libcudart in ${runtime}/lib"
  candidate="${APP_DIR}/cuda-from-wheels"
  mkdir -p "${candidate}/lib64"
  ln -sfn "${runtime}/include" "${candidate}/include"
  ln -sfn "${libraries[-1]}" "${candidate}/lib64/libcudart.so"
  printf '%s' "${candidate}"
}

log "libtorch"
LIBTORCH_DIR=""
# shellcheck disable=SC2310 # finding none is an answer (then Debian's libtorch-dev), not an error
if found="$(find_libtorch)"; then LIBTORCH_DIR="${found}"; fi
DEVICE=cpu
if [[ -n ${LIBTORCH_DIR} ]]; then
  echo "building against ${LIBTORCH_DIR}"
  export LIBTORCH_DIR
  if [[ -f ${LIBTORCH_DIR}/lib/libtorch_cuda.so ]]; then
    DEVICE=cuda
    CUDA_HOME="$(find_cuda_home "${LIBTORCH_DIR}")"
    export CUDA_HOME
    echo "CUDA headers from ${CUDA_HOME}"
  fi
else
  echo "no PyTorch libtorch found: building against Debian's libtorch-dev (CPU)"
fi

log "The libtorch + dlib addon (node-gyp, Node headers and dlib from the bundle)"
cores="$(nproc)"
# Only the bundle's dlib: the one built against the glibc every target AMI has.
export PKG_CONFIG_LIBDIR="${APP_DIR}/dlib/lib/pkgconfig"
(
  cd "${APP_DIR}/ec2-avhubert/native"
  node "${APP_DIR}/node_modules/node-gyp/bin/node-gyp.js" rebuild --nodedir="${APP_DIR}/node" -j "${cores}"
)
install -m 0755 "${APP_DIR}/ec2-avhubert/native/build/Release/gorggle_torch.node" \
  "${APP_DIR}/ec2-avhubert/dist/gorggle_torch.node"
# libdlib's own dependencies (BLAS, libjpeg 62...) are found through the library path.
LIBRARY_PATH="${APP_DIR}/dlib/lib${LIBTORCH_DIR:+:${LIBTORCH_DIR}/lib}"
LD_LIBRARY_PATH="${LIBRARY_PATH}" node -e "require('${APP_DIR}/ec2-avhubert/dist/gorggle_torch.node')" ||
  die "the addon does not load: see the build log above"
shape_predictor="${PREFIX}/usr/share/dlib/shape_predictor_68_face_landmarks.dat"
if [[ ! -f ${shape_predictor} ]]; then
  install -D -m 0644 "${APP_DIR}/dlib/share/shape_predictor_68_face_landmarks.dat" "${shape_predictor}"
fi

log "Model package from ${MODEL_S3_URI}"
MODEL_LINE="# no model package at ${MODEL_S3_URI} yet: make model-upload MODEL_DIR=... puts one there"
if aws s3 ls "${MODEL_S3_URI}manifest.json" >/dev/null 2>&1; then
  mkdir -p "${MODELS_DIR}/current"
  aws s3 sync --only-show-errors --delete "${MODEL_S3_URI}" "${MODELS_DIR}/current"
  [[ -f ${MODELS_DIR}/current/manifest.json ]] || die "the model sync from ${MODEL_S3_URI} brought no manifest.json"
  MODEL_LINE="GORGGLE_MODEL_DIR=${MODELS_DIR}/current"
else
  echo "none: the server starts without a model, /health says so and jobs skip lip reading"
fi

log "Configuration ${ENV_FILE}"
mkdir -p "$(dirname "${ENV_FILE}")" "${TMP_DIR}"
cat >"${ENV_FILE}" <<ENV
# Written by install-from-bundle.sh on first boot; see ec2-avhubert/src/config.ts for every key.
# The instance's private address: invoke-lipreading calls it from the VPC.
GORGGLE_AVHUBERT_HOST=0.0.0.0
GORGGLE_AVHUBERT_PORT=${PORT}
GORGGLE_PROCESSED_BUCKET=${PROCESSED_BUCKET}
GORGGLE_AVHUBERT_SECRET_PARAMETER=${SECRET_PARAMETER}
${MODEL_LINE}
GORGGLE_DEVICE=${DEVICE}
# 0: the Auto Scaling group's stopper ends idle instances; a power-off from inside would only
# make the group launch a replacement.
GORGGLE_IDLE_SHUTDOWN_MINUTES=0
GORGGLE_MODEL_S3_URI=${MODEL_S3_URI}
FFMPEG_PATH=${APP_DIR}/bin/ffmpeg
FFPROBE_PATH=${APP_DIR}/bin/ffprobe
AWS_REGION=${REGION}
GORGGLE_LOG_LEVEL=info
ENV
chmod 0640 "${ENV_FILE}"

log "systemd unit ${SERVICE} with the bundle's Node"
mkdir -p "${UNIT_DIR}/${SERVICE}.service.d"
install -m 0644 "${APP_DIR}/ec2-avhubert/systemd/${SERVICE}.service" "${UNIT_DIR}/${SERVICE}.service"
cat >"${UNIT_DIR}/${SERVICE}.service.d/bundle.conf" <<UNIT
[Service]
ExecStart=
ExecStart=${APP_DIR}/node/bin/node --enable-source-maps ${APP_DIR}/ec2-avhubert/dist/server.mjs
Environment=LD_LIBRARY_PATH=${LIBRARY_PATH}
UNIT

if [[ ${SKIP_SYSTEM} == 1 ]]; then
  log "Installed into ${PREFIX:-/} (GORGGLE_SKIP_SYSTEM=1: no service user, no systemd)"
  exit 0
fi

if ! id -u "${SERVICE_USER}" >/dev/null 2>&1; then
  useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "${SERVICE_USER}"
fi
usermod -a -G video "${SERVICE_USER}" # /dev/nvidia* belong to the video group
chown root:"${SERVICE_USER}" "${ENV_FILE}"
chown "${SERVICE_USER}:${SERVICE_USER}" "${TMP_DIR}"
chmod 0750 "${TMP_DIR}"
chown -R root:root "${APP_DIR}"
chmod -R go-w "${APP_DIR}"
systemctl daemon-reload
systemctl enable "${SERVICE}"
if ((START_SERVICE)); then
  systemctl restart "${SERVICE}"
  for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:${PORT}/health"; then
      log "Ready"
      exit 0
    fi
    sleep 5
  done
  journalctl -u "${SERVICE}" -n 50 --no-pager || true
  die "${SERVICE} did not answer /health within 5 minutes: see the log above"
fi
