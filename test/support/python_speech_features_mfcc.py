#!/usr/bin/env python3
"""
A reference for functions/lib/active-speaker/mfcc.ts: python_speech_features' `mfcc` with its
defaults (the LR-ASD input contract), transcribed to plain numpy so Debian's python3-numpy runs
it. Its DCT goes through numpy's FFT, not a cosine matrix, so it does not share the TypeScript
code's arithmetic.

usage: python_speech_features_mfcc.py SAMPLES_INT16LE OUT_FLOAT64LE
"""
import sys

import numpy


def preemphasis(signal, coeff=0.97):
    return numpy.append(signal[0], signal[1:] - coeff * signal[:-1])


def framesig(sig, frame_len=400, frame_step=160):
    slen = len(sig)
    numframes = 1 if slen <= frame_len else 1 + int(numpy.ceil((slen - frame_len) / frame_step))
    padsignal = numpy.concatenate((sig, numpy.zeros(((numframes - 1) * frame_step + frame_len - slen,))))
    indices = numpy.arange(frame_len)[None, :] + (numpy.arange(numframes) * frame_step)[:, None]
    return padsignal[indices]


def filterbanks(nfilt=26, nfft=512, samplerate=16000):
    hz2mel = lambda hz: 2595 * numpy.log10(1 + hz / 700.0)
    mel2hz = lambda mel: 700 * (10 ** (mel / 2595.0) - 1)
    melpoints = numpy.linspace(hz2mel(0), hz2mel(samplerate / 2), nfilt + 2)
    bins = numpy.floor((nfft + 1) * mel2hz(melpoints) / samplerate)
    fbank = numpy.zeros([nfilt, nfft // 2 + 1])
    for j in range(nfilt):
        for i in range(int(bins[j]), int(bins[j + 1])):
            fbank[j, i] = (i - bins[j]) / (bins[j + 1] - bins[j])
        for i in range(int(bins[j + 1]), int(bins[j + 2])):
            fbank[j, i] = (bins[j + 2] - i) / (bins[j + 2] - bins[j + 1])
    return fbank


def dct2_ortho(x):
    """scipy.fftpack.dct(x, type=2, axis=1, norm='ortho') by Makhoul's FFT algorithm."""
    n = x.shape[1]
    v = numpy.concatenate((x[:, ::2], x[:, 1::2][:, ::-1]), axis=1)
    k = numpy.arange(n)
    y = 2 * numpy.real(numpy.exp(-1j * numpy.pi * k / (2 * n)) * numpy.fft.fft(v, axis=1))
    y[:, 0] *= numpy.sqrt(1 / (4 * n))
    y[:, 1:] *= numpy.sqrt(1 / (2 * n))
    return y


def mfcc(signal, numcep=13, nfft=512, ceplifter=22):
    frames = framesig(preemphasis(signal.astype(numpy.float64)))
    pspec = 1.0 / nfft * numpy.square(numpy.absolute(numpy.fft.rfft(frames, nfft)))
    energy = numpy.sum(pspec, 1)
    energy = numpy.where(energy == 0, numpy.finfo(float).eps, energy)
    feat = numpy.dot(pspec, filterbanks(nfft=nfft).T)
    feat = numpy.where(feat == 0, numpy.finfo(float).eps, feat)
    feat = dct2_ortho(numpy.log(feat))[:, :numcep]
    feat *= 1 + (ceplifter / 2.0) * numpy.sin(numpy.pi * numpy.arange(numcep) / ceplifter)
    feat[:, 0] = numpy.log(energy)
    return feat


if __name__ == '__main__':
    samples = numpy.fromfile(sys.argv[1], dtype='<i2')
    mfcc(samples).astype('<f8').tofile(sys.argv[2])
