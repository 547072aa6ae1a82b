#!/usr/bin/env bash
# Sets up the Gorggle lip-reading server on an Ubuntu 22.04 g4dn instance (NVIDIA T4),
# from a checkout of the repository on that instance. Idempotent: run it again after a
# `git pull`, or after the reboot it asks for when it installs the NVIDIA driver.
#
#   sudo ec2-avhubert/setup/setup-ubuntu-g4dn.sh --model-s3-uri s3://my-models/avhubert/large-vsr/
#
# It downloads Node, libtorch and the CUDA toolkit from their vendors, so it runs on EC2
# (or any Ubuntu 22.04 machine with an NVIDIA GPU and internet access), not in CI.
set -euo pipefail

# Pinned versions. The libtorch CUDA build must match the CUDA toolkit's major.minor.
readonly NODE_VERSION=22.23.3
readonly LIBTORCH_VERSION=2.5.1
readonly CUDA_TAG=cu121
readonly CUDA_APT_VERSION=12-1
readonly NVIDIA_DRIVER=535-server
readonly LIBTORCH_URL="https://download.pytorch.org/libtorch/${CUDA_TAG}/libtorch-cxx11-abi-shared-with-deps-${LIBTORCH_VERSION}%2B${CUDA_TAG}.zip"

readonly APP_DIR=/opt/gorggle
readonly LIBTORCH_DIR=/opt/libtorch
readonly MODELS_DIR=/opt/gorggle-models
readonly ENV_FILE=/etc/gorggle/avhubert.env
readonly TMP_DIR=/var/tmp/gorggle-avhubert
readonly SERVICE=gorggle-avhubert
readonly SERVICE_USER=gorggle

SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
readonly SOURCE_DIR
MODEL_S3_URI="${GORGGLE_MODEL_S3_URI:-}"
START_SERVICE=1

usage() {
  cat <<USAGE
Usage: sudo $0 [--model-s3-uri s3://bucket/prefix/] [--no-start]

  --model-s3-uri  S3 folder holding the model package (manifest.json, encoder.pt,
                  decoder_step.pt, vocab.txt). Defaults to GORGGLE_MODEL_S3_URI from
                  the environment or from ${ENV_FILE}.
  --no-start      install everything but leave the service stopped.
USAGE
}

log() { printf '\n==> %s\n' "$*"; }
die() {
  printf 'setup-ubuntu-g4dn: %s\n' "$*" >&2
  exit 1
}

while (($#)); do
  case "$1" in
    --model-s3-uri)
      [[ $# -ge 2 ]] || die "--model-s3-uri needs a value, e.g. s3://my-models/avhubert/large-vsr/"
      MODEL_S3_URI="$2"
      shift 2
      ;;
    --no-start)
      START_SERVICE=0
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument: $1"
      ;;
  esac
done

[[ ${EUID} -eq 0 ]] || die "run me as root (sudo $0 ...)"
os_release() { sed -n "s/^$1=//p" /etc/os-release | tr -d '"'; }
os_id="$(os_release ID)"
os_version="$(os_release VERSION_ID)"
[[ ${os_id} == ubuntu ]] || die "this script targets Ubuntu 22.04; found ${os_id} ${os_version}"
[[ ${os_version} == 22.04 ]] || log "warning: tested on Ubuntu 22.04, this is ${os_version}"
kernel="$(uname -r)"
cores="$(nproc)"
if [[ -z ${MODEL_S3_URI} && -f ${ENV_FILE} ]]; then
  MODEL_S3_URI="$(sed -n 's/^GORGGLE_MODEL_S3_URI=//p' "${ENV_FILE}" | tail -n 1)"
fi
[[ ${MODEL_S3_URI} =~ ^s3://[^/]+/.+ ]] ||
  die "give the model package location: --model-s3-uri s3://bucket/prefix/ (see ec2-avhubert/README.md)"
MODEL_S3_URI="${MODEL_S3_URI%/}/"

export DEBIAN_FRONTEND=noninteractive

log "Debian packages: build tools, ffmpeg, AWS CLI, dlib (face detector and its 68-point model)"
apt-get update -q
apt-get install -y -q --no-install-recommends \
  build-essential python3 make g++ pkg-config git curl ca-certificates unzip xz-utils \
  ffmpeg awscli rsync libdlib-dev libdlib-data "linux-headers-${kernel}"

log "NVIDIA driver (${NVIDIA_DRIVER})"
if ! nvidia-smi >/dev/null 2>&1; then
  apt-get install -y -q "nvidia-driver-${NVIDIA_DRIVER}" "nvidia-utils-${NVIDIA_DRIVER}"
  if ! modprobe nvidia || ! nvidia-smi >/dev/null 2>&1; then
    die "the NVIDIA driver is installed but not loaded: reboot (sudo reboot), then run this script again"
  fi
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

log "CUDA ${CUDA_APT_VERSION/-/.} headers and runtime (the addon compiles against them)"
if [[ ! -f /usr/local/cuda-${CUDA_APT_VERSION/-/.}/include/cuda_runtime_api.h ]]; then
  keyring=/tmp/cuda-keyring.deb
  curl -fsSL -o "${keyring}" \
    https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64/cuda-keyring_1.1-1_all.deb
  dpkg -i "${keyring}"
  rm -f "${keyring}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends \
    "cuda-cudart-dev-${CUDA_APT_VERSION}" "cuda-nvcc-${CUDA_APT_VERSION}"
fi
CUDA_HOME="/usr/local/cuda-${CUDA_APT_VERSION/-/.}"
export CUDA_HOME

log "Node.js ${NODE_VERSION}"
if [[ "$(/usr/local/bin/node --version 2>/dev/null || true)" != "v${NODE_VERSION}" ]]; then
  work="$(mktemp -d)"
  tarball="node-v${NODE_VERSION}-linux-x64.tar.xz"
  curl -fsSL -o "${work}/${tarball}" "https://nodejs.org/dist/v${NODE_VERSION}/${tarball}"
  curl -fsSL -o "${work}/SHASUMS256.txt" "https://nodejs.org/dist/v${NODE_VERSION}/SHASUMS256.txt"
  (cd "${work}" && grep " ${tarball}\$" SHASUMS256.txt | sha256sum --check --status) ||
    die "the Node.js tarball does not match its published SHA-256; try again later"
  tar -xJf "${work}/${tarball}" -C /usr/local --strip-components=1 --no-same-owner
  rm -rf "${work}"
fi
/usr/local/bin/node --version

log "libtorch ${LIBTORCH_VERSION}+${CUDA_TAG} (cxx11 ABI) in ${LIBTORCH_DIR}"
stamp="${LIBTORCH_DIR}/.gorggle-version"
if [[ "$(cat "${stamp}" 2>/dev/null || true)" != "${LIBTORCH_VERSION}+${CUDA_TAG}" ]]; then
  work="$(mktemp -d)"
  curl -fSL --retry 3 -o "${work}/libtorch.zip" "${LIBTORCH_URL}"
  rm -rf "${LIBTORCH_DIR}"
  unzip -q "${work}/libtorch.zip" -d /opt # unpacks to /opt/libtorch
  rm -rf "${work}"
  echo "${LIBTORCH_VERSION}+${CUDA_TAG}" >"${stamp}"
fi

log "Service user ${SERVICE_USER}"
if ! id -u "${SERVICE_USER}" >/dev/null 2>&1; then
  useradd --system --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin "${SERVICE_USER}"
fi
# The GPU device nodes belong to the video group on Ubuntu.
usermod -a -G video "${SERVICE_USER}"

log "Application in ${APP_DIR}"
mkdir -p "${APP_DIR}"
if [[ ${SOURCE_DIR} != "${APP_DIR}" ]]; then
  rsync -a --delete --exclude node_modules --exclude .git --exclude 'ec2-avhubert/native/build' \
    --exclude 'ec2-avhubert/models' --exclude dist "${SOURCE_DIR}/" "${APP_DIR}/"
fi
cd "${APP_DIR}"
export PATH="/usr/local/bin:${PATH}"
# Some npm releases refuse their own lock files in `ci`; install from the lock file then.
npm ci --no-audit --no-fund || npm install --no-audit --no-fund
(cd ec2-avhubert/native && LIBTORCH_DIR="${LIBTORCH_DIR}" CUDA_HOME="${CUDA_HOME}" \
  npx --no-install node-gyp rebuild -j "${cores}")
make avhubert-server
chown -R root:root "${APP_DIR}"
chmod -R go-w "${APP_DIR}"

log "Model package from ${MODEL_S3_URI}"
model_name="$(basename "${MODEL_S3_URI%/}")"
mkdir -p "${MODELS_DIR}/${model_name}"
aws s3 sync --only-show-errors --delete "${MODEL_S3_URI}" "${MODELS_DIR}/${model_name}"
[[ -f ${MODELS_DIR}/${model_name}/manifest.json ]] ||
  die "${MODEL_S3_URI} holds no manifest.json: upload a model package there (see ec2-avhubert/README.md)"
ln -sfn "${MODELS_DIR}/${model_name}" "${MODELS_DIR}/current"

log "Configuration ${ENV_FILE}"
install -d -m 0755 /etc/gorggle
if [[ ! -f ${ENV_FILE} ]]; then
  token="$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token || true)"
  region="$(curl -fsS -H "X-aws-ec2-metadata-token: ${token}" \
    http://169.254.169.254/latest/meta-data/placement/region || echo us-east-1)"
  sed -e "s|^GORGGLE_MODEL_DIR=.*|GORGGLE_MODEL_DIR=${MODELS_DIR}/current|" \
    -e "s|^GORGGLE_MODEL_S3_URI=.*|GORGGLE_MODEL_S3_URI=${MODEL_S3_URI}|" \
    -e "s|^AWS_REGION=.*|AWS_REGION=${region}|" \
    ec2-avhubert/systemd/avhubert.env.example >"${ENV_FILE}"
fi
chown root:"${SERVICE_USER}" "${ENV_FILE}"
chmod 0640 "${ENV_FILE}"
install -d -m 0750 -o "${SERVICE_USER}" -g "${SERVICE_USER}" "${TMP_DIR}"

log "Idle power-off permission (polkit) and the systemd unit"
if [[ -d /etc/polkit-1/localauthority ]]; then
  install -D -m 0644 ec2-avhubert/systemd/50-gorggle-poweroff.pkla \
    /etc/polkit-1/localauthority/50-local.d/50-gorggle-poweroff.pkla
fi
install -D -m 0644 ec2-avhubert/systemd/50-gorggle-poweroff.rules /etc/polkit-1/rules.d/50-gorggle-poweroff.rules
install -m 0644 "ec2-avhubert/systemd/${SERVICE}.service" "/etc/systemd/system/${SERVICE}.service"
systemctl daemon-reload
systemctl enable "${SERVICE}"

if ((START_SERVICE)); then
  log "Starting ${SERVICE}"
  systemctl restart "${SERVICE}"
  port="$(sed -n 's/^GORGGLE_AVHUBERT_PORT=//p' "${ENV_FILE}" | tail -n 1)"
  for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:${port:-8080}/health"; then
      echo
      log "Ready"
      exit 0
    fi
    sleep 5
  done
  journalctl -u "${SERVICE}" -n 50 --no-pager
  die "${SERVICE} did not answer /health within 5 minutes: see the log above"
fi
