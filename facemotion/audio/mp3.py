"""MP3 start padding: the samples a decoder gives before the audio starts, where the file does not say.

An MP3 encoder delays the signal (LAME by 576 samples) and an MPEG-1/2 Layer III decoder adds 529 more (its
hybrid filter bank; mpg123's and FFmpeg's ``528 + 1``). A file that starts with a Xing or Info header carrying
LAME's extension records the encoder delay and the end padding (LAME's "Mp3 Info Tag rev 1" specification:
12 + 12 bits, 21 bytes into the extension), and libsndfile (mpg123, gapless mode) trims both: such a file,
as soundfile writes it, decodes sample-aligned and nothing is left to do. A stream without that header
(written to a pipe, cut from a longer stream, some encoders) decodes ``576 + 529 = 1105`` samples late:
69 ms at 16 kHz, two frames at 30 fps. :func:`mp3_start_padding` gives what to drop.

Frame headers follow ISO/IEC 11172-3 and 13818-3 (sync, version, layer, protection, side-information size);
an ID3v2 tag before the first frame is skipped by its syncsafe size (ID3v2.4 specification, section 3.1).
"""

import os

LAME_ENCODER_DELAY = 576
"""Samples LAME (and encoders modelled on it) delays the signal by."""

DECODER_DELAY = 529
"""Samples an MPEG Layer III decoder delays the signal by (the filter bank's 528, plus one)."""

_SCAN_BYTES = 16_384  # how far past any ID3v2 tag the first frame is looked for
_INFO_TAGS = (b"Xing", b"Info")


def mp3_start_padding(path: str | os.PathLike) -> int:
    """Samples, at the file's own rate, to drop from the start of a decoded MP3 so that it starts on time.

    Args:
        path: an MP3 file (MPEG-1, 2 or 2.5 Layer III).

    Returns:
        0 when the first frame holds a Xing/Info or VBRI header (the decoder trims the delay it records), or
        when no Layer III frame is found; else :data:`LAME_ENCODER_DELAY` + :data:`DECODER_DELAY` (1105).

    Raises:
        OSError: the file cannot be read.
    """
    with open(path, "rb") as stream:
        start = _id3v2_size(stream.read(10))
        stream.seek(start)
        data = stream.read(_SCAN_BYTES)
    frame = _first_layer3_frame(data)
    if frame is None:
        return 0
    tag_offset = frame + 4 + _side_info_bytes(data[frame:frame + 4])
    if data[tag_offset:tag_offset + 4] in _INFO_TAGS or data[frame + 36:frame + 40] == b"VBRI":
        return 0
    return LAME_ENCODER_DELAY + DECODER_DELAY


def _id3v2_size(header: bytes) -> int:
    """Bytes an ID3v2 tag takes at the start of the file (0 without one): 10 + its syncsafe size (+ 10 footer)."""
    if len(header) < 10 or header[:3] != b"ID3":
        return 0
    size = (header[6] & 0x7F) << 21 | (header[7] & 0x7F) << 14 | (header[8] & 0x7F) << 7 | (header[9] & 0x7F)
    return 10 + size + (10 if header[5] & 0x10 else 0)


def _first_layer3_frame(data: bytes) -> int | None:
    """Offset of the first valid MPEG Layer III frame header in ``data``, or None."""
    position = data.find(b"\xff")
    while 0 <= position <= len(data) - 4:
        b1, b2 = data[position + 1], data[position + 2]
        sync = b1 & 0xE0 == 0xE0
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        bitrate, rate = b2 >> 4, (b2 >> 2) & 3
        if sync and version != 1 and layer == 1 and bitrate not in (0, 15) and rate != 3:
            return position
        position = data.find(b"\xff", position + 1)
    return None


def _side_info_bytes(header: bytes) -> int:
    """Bytes between the 4-byte frame header and the main data: the CRC (2 when present) + side information
    (MPEG-1: 17 mono, 32 otherwise; MPEG-2/2.5: 9 mono, 17 otherwise)."""
    mpeg1 = (header[1] >> 3) & 3 == 3
    mono = header[3] >> 6 == 3
    crc = 0 if header[1] & 1 else 2
    return crc + ((17 if mono else 32) if mpeg1 else (9 if mono else 17))
