// Weft's vector kernels: the few byte scans of the hot path that the standard library cannot vectorize.
//
// Everything here is `static inline`, so Swift inlines it at the call site. SSE2 (every x86-64) does 16 bytes a
// step; other targets fall back to a byte loop with the same results.
#ifndef WEFT_SIMD_H
#define WEFT_SIMD_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Whether `byte` cannot appear raw inside a JSON string as Weft writes it: `"`, `\`, a control byte below 0x20,
/// DEL (0x7F), or a byte of a multibyte UTF-8 sequence (0x80 and above, which the caller validates).
static inline int weft_json_needs_work(uint8_t byte) {
    return byte < 0x20 || byte == 0x22 || byte == 0x5C || byte >= 0x7F;
}

/// The second byte of the two-byte escape of each ASCII byte that has one (`n` for a line feed, `"` for a quote, ...),
/// and 0 for the other control bytes and DEL, which become `\u00XX`. A table, not a switch: a trace's body has a
/// line feed and a tab every few dozen bytes, and the switch's indirect jump was mispredicted often enough to cost
/// a fifth of the escaping time (perf annotate on Benchmarks' plain input).
static const uint8_t weft_json_short_escape[128] = {
    [0x08] = 'b', [0x09] = 't', [0x0A] = 'n', [0x0C] = 'f', [0x0D] = 'r', [0x22] = '"', [0x5C] = '\\',
};

/// Writes the JSON escape of `byte` (ASCII: `"`, `\`, below 0x20, or DEL) at `destination`; returns its length.
/// `destination` must have room for 6 bytes.
static inline size_t weft_json_write_escape(uint8_t byte, uint8_t *destination) {
    uint8_t shortForm = weft_json_short_escape[byte & 0x7F];
    destination[0] = '\\';
    if (__builtin_expect(shortForm != 0, 1)) {
        destination[1] = shortForm;
        return 2;
    }
    static const char hex[16] = "0123456789abcdef";
    destination[1] = 'u';
    destination[2] = '0';
    destination[3] = '0';
    destination[4] = (uint8_t)hex[byte >> 4];
    destination[5] = (uint8_t)hex[byte & 0x0F];
    return 6;
}

#if defined(__SSE2__)
/// Which of the (at most 16) bytes from `bytes` a block step may examine: all 16 when that many remain; when fewer
/// remain, those, if a 16-byte load from `bytes` stays inside its page and so cannot fault (the bytes past the end
/// are read, never used: strlen's trick); otherwise none, and the caller finishes byte by byte.
static inline unsigned weft_block_validity(const uint8_t *bytes, size_t remaining) {
    if (remaining >= 16) return 0xFFFF;
    if (remaining > 0 && ((uintptr_t)bytes & 4095) <= 4096 - 16) return (1u << remaining) - 1;
    return 0;
}

/// A bit per byte of `block` that is `"`, `\`, a control byte below 0x20, or at least `floor` (unsigned) where
/// `useFloor` is all ones.
static inline unsigned weft_json_special_mask(__m128i block, __m128i floor, __m128i useFloor) {
    __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(block, _mm_set1_epi8(0x22)), _mm_cmpeq_epi8(block, _mm_set1_epi8(0x5C))),
        _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(block, _mm_set1_epi8(0x1F)), block),
                     _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(block, floor), block), useFloor)));
    return (unsigned)_mm_movemask_epi8(hits);
}
#endif

/// Escapes `source` for the inside of a JSON string into `destination`, up to the first byte of 0x80 or above (which
/// the caller validates as UTF-8) or all `count` bytes. Returns how many source bytes were consumed; `*written` is
/// set to how many bytes were written.
///
/// `destination` must have room for `6 * count + 16` bytes: each byte may become a six-byte `\u00XX`, and whole
/// 16-byte vectors are stored before they are checked, so up to 15 bytes past the written ones may be overwritten
/// with bytes of no meaning.
static inline size_t weft_json_escape_ascii(const uint8_t *source, size_t count, uint8_t *destination,
                                            size_t *written) {
    size_t index = 0;
    uint8_t *out = destination;
#if defined(__SSE2__)
    // DEL (0x7F) and every non-ASCII byte stop the block step.
    const __m128i floor = _mm_set1_epi8(0x7F);
    const __m128i always = _mm_set1_epi8(-1);
    for (;;) {
        size_t remaining = count - index;
        unsigned valid = weft_block_validity(source + index, remaining);
        if (valid == 0) break;
        __m128i bytes = _mm_loadu_si128((const __m128i *)(source + index));
        _mm_storeu_si128((__m128i *)out, bytes);
        unsigned mask = weft_json_special_mask(bytes, floor, always) & valid;
        if (mask == 0) {
            size_t step = remaining >= 16 ? 16 : remaining;
            index += step;
            out += step;
            continue;
        }
        size_t at = (size_t)__builtin_ctz(mask);
        if (remaining >= 32) {
            // Every special byte of the block in turn, without going back to the top: JSON logged as text has a quote
            // every few bytes, and leaving the block at each was a mispredicted branch and a reload each time. The
            // bytes after a special come from a 16-byte load of the source, inside the 32 bytes known to be there.
            size_t copied = 0;  // bytes of the block whose output is in place
            for (;;) {
                out += at - copied;
                uint8_t byte = source[index + at];
                if (byte >= 0x80) {
                    *written = (size_t)(out - destination);
                    return index + at;
                }
                out += weft_json_write_escape(byte, out);
                copied = at + 1;
                mask &= mask - 1;
                _mm_storeu_si128((__m128i *)out, _mm_loadu_si128((const __m128i *)(source + index + copied)));
                if (mask == 0) break;
                at = (size_t)__builtin_ctz(mask);
            }
            out += 16 - copied;
            index += 16;
            continue;
        }
        index += at;
        out += at;
        uint8_t byte = source[index];
        if (byte >= 0x80) {
            *written = (size_t)(out - destination);
            return index;
        }
        out += weft_json_write_escape(byte, out);
        index += 1;
    }
#endif
    while (index < count) {
        uint8_t byte = source[index];
        if (byte >= 0x80) break;
        if (weft_json_needs_work(byte)) {
            out += weft_json_write_escape(byte, out);
        } else {
            *out++ = byte;
        }
        index++;
    }
    *written = (size_t)(out - destination);
    return index;
}

/// The index of the first byte in `bytes[0..<count]` that ends a plain run inside a JSON string being read: `"`, `\`,
/// a control byte below 0x20, or (when `stopAtNonASCII`) a byte of 0x80 or above, which the caller validates as
/// UTF-8. `count` if there is none.
static inline size_t weft_json_string_span(const uint8_t *bytes, size_t count, int stopAtNonASCII) {
    size_t index = 0;
#if defined(__SSE2__)
    const __m128i floor = _mm_set1_epi8((char)0x80);
    const __m128i useFloor = stopAtNonASCII ? _mm_set1_epi8(-1) : _mm_setzero_si128();
    for (;;) {
        size_t remaining = count - index;
        unsigned valid = weft_block_validity(bytes + index, remaining);
        if (valid == 0) break;
        __m128i block = _mm_loadu_si128((const __m128i *)(bytes + index));
        unsigned mask = weft_json_special_mask(block, floor, useFloor) & valid;
        if (mask != 0) return index + (size_t)__builtin_ctz(mask);
        if (remaining <= 16) return count;
        index += 16;
    }
#endif
    while (index < count) {
        uint8_t byte = bytes[index];
        if (byte == 0x22 || byte == 0x5C || byte < 0x20 || (stopAtNonASCII && byte >= 0x80)) break;
        index++;
    }
    return index;
}

#endif
