#!/usr/bin/env bash
# Builds the one static ffmpeg and ffprobe that every part of Gorggle runs on uploads: the
# extract Lambda (zipped beside its bundle), the local stack's stand-ins and the lip-reading
# server. Both come from one configure run, so they are the same build.
#
# Why a source build: no maintained npm package carries a current static ffmpeg inside its
# tarball (ffmpeg-static and its forks download from GitHub at install time, which fails
# offline; @ffmpeg-installer stopped at a 2018 snapshot), and Debian's own ffmpeg is dynamic,
# linked against this machine's glibc and ~100 libraries that Lambda's Amazon Linux lacks.
# So the upstream release tarball comes from Debian's archive through apt-get (signed index;
# its sha256 pinned below) and is built fully static here, with only what the product needs:
# the accepted containers, their codecs, the file and pipe protocols, and no network at all.
#
# Output: $GORGGLE_FFMPEG_DIR (default .gorggle/ffmpeg)/{ffmpeg,ffprobe,BUILD-INFO}. The build
# is cached under ${XDG_CACHE_HOME:-~/.cache}/gorggle keyed by this script's hash, so a fresh
# clone on the same machine copies it instead of compiling again (about 5 minutes on 2 cores).
set -euo pipefail

FFMPEG_VERSION=7.1.5
DEBIAN_SOURCE_VERSION=7:7.1.5-0+deb13u1
DEBIAN_SUITE=trixie
ORIG_TARBALL=ffmpeg_${FFMPEG_VERSION}.orig.tar.xz
ORIG_SHA256=de668509caf9e35e3cd162473441fdb29538c6d96ed080292b3cf9e6fc5d558f

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${GORGGLE_FFMPEG_DIR:-$repo/.gorggle/ffmpeg}"
script_hash="$(sha256sum "$0" | cut -c1-16)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/gorggle"
cached="$cache_root/ffmpeg-$FFMPEG_VERSION-$script_hash"

log() { printf 'build-ffmpeg: %s\n' "$*" >&2; }

install_output() {
  mkdir -p "$out"
  cp -f "$cached/ffmpeg" "$cached/ffprobe" "$cached/BUILD-INFO" "$out/"
  chmod 0755 "$out/ffmpeg" "$out/ffprobe"
  log "ffmpeg $FFMPEG_VERSION (static) in $out"
}

if [ -x "$cached/ffmpeg" ] && [ -x "$cached/ffprobe" ] && [ -f "$cached/BUILD-INFO" ]; then
  install_output
  exit 0
fi

for tool in nasm pkg-config make cc xz; do
  command -v "$tool" >/dev/null || {
    log "$tool is missing: run scripts/setup/install-debian-packages.sh"
    exit 1
  }
done
for lib in /usr/lib/x86_64-linux-gnu/libx264.a /usr/lib/x86_64-linux-gnu/libz.a; do
  [ -f "$lib" ] || {
    log "$lib is missing: run scripts/setup/install-debian-packages.sh (libx264-dev, zlib1g-dev)"
    exit 1
  }
done

mkdir -p "$cache_root"
work="$(mktemp -d "$cache_root/ffmpeg-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# apt-get with its own lists and cache: the machine's sources stay as they are, and the
# download is checked against Debian's signed index.
log "fetching $ORIG_TARBALL from Debian $DEBIAN_SUITE"
mkdir -p "$work/apt/parts" "$work/apt/lists/partial" "$work/apt/cache/archives/partial" "$work/src"
cat >"$work/apt/parts/source.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $DEBIAN_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_options=(
  -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$work/apt/parts"
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
  -o "APT::Sandbox::User=root" -qq
)
apt-get "${apt_options[@]}" update
if ! (cd "$work/src" && apt-get "${apt_options[@]}" source --download-only "ffmpeg=$DEBIAN_SOURCE_VERSION" >/dev/null); then
  log "Debian $DEBIAN_SUITE no longer serves ffmpeg $DEBIAN_SOURCE_VERSION."
  log "Pick its current version (apt-cache showsrc ffmpeg with a $DEBIAN_SUITE deb-src entry), read its changelog,"
  log "and update FFMPEG_VERSION, DEBIAN_SOURCE_VERSION and ORIG_SHA256 in $0."
  exit 1
fi
echo "$ORIG_SHA256  $work/src/$ORIG_TARBALL" | sha256sum --check --quiet || {
  log "$ORIG_TARBALL does not match the pinned sha256 $ORIG_SHA256: refusing to build it."
  exit 1
}
tar -xJf "$work/src/$ORIG_TARBALL" -C "$work"
cd "$work/ffmpeg-$FFMPEG_VERSION"

# What the product accepts (ACCEPTED_CONTAINERS in functions/lib/media/media-guard.ts; a test
# holds the two to the same list). No HLS, DASH, concat or image demuxers, no network protocols.
# mpegps is the demuxer ffmpeg names "mpeg" (MPEG program stream: .mpg/.mpeg).
containers=mov,matroska,avi,mpegps,mp3,wav,ogg,flac
# Raw elementary-stream probes: MPEG-PS names its streams' codecs with these. They never open
# an upload themselves: every run passes -format_whitelist with the containers above only.
stream_probes=mpegvideo,m4v,h264,hevc,ac3,eac3,aac
video_decoders=h264,hevc,mpeg4,mpeg1video,mpeg2video,vp8,vp9,mjpeg,h263,msmpeg4v3,theora,png
audio_decoders=aac,aac_latm,mp1,mp2,mp3,mp3float,opus,vorbis,flac,alac,ac3,eac3,pcm_s16le,pcm_s16be,pcm_s24le,pcm_s24be,pcm_s32le,pcm_f32le,pcm_f64le,pcm_u8,pcm_alaw,pcm_mulaw,adpcm_ima_wav,adpcm_ms,amrnb,amrwb
parsers=h264,hevc,mpeg4video,mpegvideo,vp8,vp9,mjpeg,h263,aac,aac_latm,mpegaudio,opus,vorbis,flac,ac3,png
encoders=libx264,aac,pcm_s16le,mjpeg,rawvideo
muxers=mp4,wav,image2,rawvideo,s16le,null
filters=fps,scale,format,setsar,setdar,crop,pad,transpose,hflip,vflip,null,anull,aresample,aformat,atrim,trim,setpts,asetpts,pan,volume

./configure \
  --prefix="$work/install" \
  --pkg-config-flags=--static \
  --extra-cflags="-O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2" \
  --extra-ldflags="-static" \
  --enable-gpl --enable-libx264 --enable-zlib \
  --enable-static --disable-shared \
  --disable-autodetect --disable-network --disable-iconv --disable-debug \
  --disable-doc --disable-ffplay --disable-avdevice --disable-everything \
  --enable-protocol=file,pipe \
  --enable-demuxer="$containers,$stream_probes" \
  --enable-decoder="$video_decoders,$audio_decoders" \
  --enable-parser="$parsers" \
  --enable-encoder="$encoders" \
  --enable-muxer="$muxers" \
  --enable-filter="$filters" \
  --enable-bsf=vp9_superframe_split,aac_adtstoasc,extract_extradata \
  >"$work/configure.log"
log "compiling (a few minutes)"
make -j"$(nproc)" ffmpeg ffprobe >"$work/make.log" 2>&1 || {
  tail -40 "$work/make.log" >&2
  exit 1
}
strip ffmpeg ffprobe

staged="$work/staged"
mkdir -p "$staged"
cp ffmpeg ffprobe "$staged/"
{
  echo "ffmpeg $FFMPEG_VERSION, static, built by scripts/setup/build-ffmpeg.sh"
  echo "source: Debian $DEBIAN_SUITE ffmpeg $DEBIAN_SOURCE_VERSION, $ORIG_TARBALL sha256 $ORIG_SHA256"
  echo "ffmpeg sha256: $(sha256sum ffmpeg | cut -d' ' -f1)"
  echo "ffprobe sha256: $(sha256sum ffprobe | cut -d' ' -f1)"
  echo "licence: GPL-2.0-or-later (with libx264); source: the tarball above"
  "$staged/ffmpeg" -hide_banner -version | sed -n '1,3p'
} >"$staged/BUILD-INFO"
# Another worktree may have finished the same build meanwhile: either copy is the same.
mv -T "$staged" "$cached" 2>/dev/null || true
install_output
